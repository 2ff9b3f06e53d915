import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { createRedactor, MIN_MASKED_LENGTH, redactDeep, type Redactor } from '../secrets/index.js';

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
  '*.webhook_secret_previous',
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
  // The redactor is rebuilt only when the set of secrets changes (a connection was added).
  let cached: { key: string; redact: Redactor } | undefined;
  const redactor = (values: string[]): Redactor => {
    const key = values.join('\u0000');
    if (cached?.key !== key) cached = { key, redact: createRedactor(values) };
    return cached.redact;
  };
  return pino(
    {
      level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: secrets
        ? {
            logMethod(args, method) {
              const values = [...secrets()].filter((s) => s.length >= MIN_MASKED_LENGTH);
              if (values.length === 0) return method.apply(this, args);
              const redact = redactor(values);
              return method.apply(this, args.map((arg) => redactDeep(arg, redact)) as typeof args);
            },
          }
        : {},
    },
    options.destination,
  );
}

export type { PinoLogger as Logger };
