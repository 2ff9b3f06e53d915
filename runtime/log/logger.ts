import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Where lines go (default stdout). Tests pass a stream to read what was logged. */
  destination?: DestinationStream;
  /** Secret values currently configured (connection tokens, webhook secrets): replaced by `[redacted]` wherever they appear. */
  secrets?: () => Iterable<string>;
}

/** Header and field names that always hold credentials, whatever their value. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-gitlab-token"]',
  'headers.authorization',
  'headers["x-gitlab-token"]',
  '*.token',
  '*.secret',
  '*.password',
  '*.webhook_secret',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.private_key',
];

/**
 * The service logger: pino JSON lines with credential fields censored by path and, on top, any known
 * secret value scrubbed from every string (a token pasted into an error message is still caught).
 */
export function createLogger(options: LoggerOptions = {}): PinoLogger {
  const secrets = options.secrets;
  return pino(
    {
      level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: secrets
        ? {
            logMethod(args, method) {
              const values = [...secrets()].filter((s) => s.length >= 4);
              if (values.length === 0) return method.apply(this, args);
              return method.apply(this, args.map((arg) => scrub(arg, values, 0)) as typeof args);
            },
          }
        : {},
    },
    options.destination,
  );
}

function scrub(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return secrets.reduce((text, secret) => (text.includes(secret) ? text.split(secret).join('[redacted]') : text), value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const copy = new Error(scrub(value.message, secrets, depth + 1) as string);
    copy.name = value.name;
    copy.stack = scrub(value.stack, secrets, depth + 1) as string;
    return copy;
  }
  if (Array.isArray(value)) return value.map((item) => scrub(item, secrets, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrub(item, secrets, depth + 1)]));
}

export type { PinoLogger as Logger };
