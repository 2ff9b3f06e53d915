import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConnectorError } from '../errors/index.js';
import { loadSecretKey } from './secret-key.js';

/**
 * Encrypts connection secrets at rest. Each sealed value is bound to where it belongs (`context`,
 * e.g. the connection and config path): authenticated as AES-GCM additional data, so a value copied
 * to another connection or field of the database does not open there (and cannot be read back
 * through a field that is not secret). `seal` output is versioned so the format can change later.
 */
export interface SecretBox {
  /** AES-256-GCM with a fresh 12-byte IV and `context` as additional data: `v2:<iv>:<tag>:<ciphertext>`, each part base64. */
  seal(plain: string, context: string): string;
  /**
   * Reverses `seal` with the same `context`; throws `SECRET_DECRYPT` when the text was tampered with,
   * sealed with another key or for another context. `v1:` values (earlier releases: no context) open
   * anywhere; the store seals them again as `v2:` at every start (connections and OAuth tokens).
   */
  open(sealed: string, context: string): string;
}

const VERSION = 'v2';
const LEGACY = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The secret box for a data directory. The key comes from `GWI_SECRET_KEY` (32 bytes, base64 or hex)
 * or from `<dataDir>/secret.key`, created with mode 0600 on first start and reused afterwards.
 */
export function createSecretBox(dataDir: string, env: NodeJS.ProcessEnv = process.env): SecretBox {
  const key = loadSecretKey(dataDir, env);
  return {
    seal(plain, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64'), tag.toString('base64'), ct.toString('base64')].join(':');
    },
    open(sealed, context) {
      const parts = sealed.split(':');
      if (parts.length !== 4 || (parts[0] !== VERSION && parts[0] !== LEGACY)) {
        throw new ConnectorError('SECRET_DECRYPT', `A stored secret is not in the "${VERSION}:<iv>:<tag>:<ciphertext>" format.`, {
          hint: 'The value was not produced by this runtime or was truncated; set the secret again.',
        });
      }
      const [version, ivText, tagText, ctText] = parts as [string, string, string, string];
      const iv = Buffer.from(ivText, 'base64');
      const tag = Buffer.from(tagText, 'base64');
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
        throw new ConnectorError('SECRET_DECRYPT', 'A stored secret has a malformed IV or authentication tag.', {
          hint: 'The value was truncated or edited; set the secret again.',
        });
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        if (version === VERSION) decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(Buffer.from(ctText, 'base64')), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new ConnectorError('SECRET_DECRYPT', 'A stored secret failed authentication: it was modified, sealed with a different key, or copied from another connection or field.', {
          hint: 'Use the GWI_SECRET_KEY (or data-dir secret.key) the secret was stored with, or set the secret again.',
          cause,
        });
      }
    },
  };
}
