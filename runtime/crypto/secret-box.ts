import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConnectorError } from '../errors/index.js';
import { loadSecretKey } from './secret-key.js';

/** Encrypts connection secrets at rest. `seal` output is versioned so the format can change later. */
export interface SecretBox {
  /** AES-256-GCM with a fresh 12-byte IV: `v1:<iv>:<tag>:<ciphertext>`, each part base64. */
  seal(plain: string): string;
  /** Reverses `seal`; throws `SECRET_DECRYPT` when the text was tampered with or sealed with another key. */
  open(sealed: string): string;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The secret box for a data directory. The key comes from `GWI_SECRET_KEY` (32 bytes, base64 or hex)
 * or from `<dataDir>/secret.key`, created with mode 0600 on first start and reused afterwards.
 */
export function createSecretBox(dataDir: string, env: NodeJS.ProcessEnv = process.env): SecretBox {
  const key = loadSecretKey(dataDir, env);
  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64'), tag.toString('base64'), ct.toString('base64')].join(':');
    },
    open(sealed) {
      const parts = sealed.split(':');
      if (parts.length !== 4 || parts[0] !== VERSION) {
        throw new ConnectorError('SECRET_DECRYPT', `A stored secret is not in the "${VERSION}:<iv>:<tag>:<ciphertext>" format.`, {
          hint: 'The value was not produced by this runtime or was truncated; set the secret again.',
        });
      }
      const [, ivText, tagText, ctText] = parts as [string, string, string, string];
      const iv = Buffer.from(ivText, 'base64');
      const tag = Buffer.from(tagText, 'base64');
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
        throw new ConnectorError('SECRET_DECRYPT', 'A stored secret has a malformed IV or authentication tag.', {
          hint: 'The value was truncated or edited; set the secret again.',
        });
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(Buffer.from(ctText, 'base64')), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new ConnectorError('SECRET_DECRYPT', 'A stored secret failed authentication: it was modified or sealed with a different key.', {
          hint: 'Use the GWI_SECRET_KEY (or data-dir secret.key) the secret was stored with, or set the secret again.',
          cause,
        });
      }
    },
  };
}
