import type { ErrorCode } from './codes.js';

/** Where in a manifest (or other input file) a problem was found. */
export interface SourceLocation {
  file?: string;
  line?: number;
  column?: number;
  /** Dotted manifest path, e.g. `streams.issues.pagination.page_size`. */
  path?: string;
}

export interface ConnectorErrorOptions {
  /** What the user should do about it. Printed after the message. */
  hint?: string;
  location?: SourceLocation;
  /** Extra structured context (never secrets). */
  context?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * Base of every error the runtime throws on purpose. It carries a stable `code` from the catalogue
 * (`codes.ts`), the place it concerns and a hint that names the fix.
 */
export class ConnectorError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly location: SourceLocation | undefined;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: ConnectorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.location = options.location;
    this.context = options.context ?? {};
  }

  /** `file:line:col: message (path). hint` — the one-line form printed by `validate` and the CLI. */
  format(): string {
    const where = formatLocation(this.location);
    // Messages that already name their path (most manifest problems do) do not repeat it.
    const path = this.location?.path && !this.message.includes(this.location.path) ? ` (at ${this.location.path})` : '';
    const said = `${this.message}${path}`;
    // The hint is a sentence of its own: a full stop ends what was said before it, unless one is there.
    const hint = this.hint ? `${/[.!?]$/.test(said) ? '' : '.'} ${this.hint}` : '';
    return `${where ? `${where}: ` : ''}${said}${hint} [${this.code}]`;
  }
}

export function formatLocation(location: SourceLocation | undefined): string {
  if (!location?.file) return '';
  if (location.line === undefined) return location.file;
  return `${location.file}:${location.line}:${location.column ?? 1}`;
}

/**
 * The same error (code, hint, context; the original as its cause) placed at `location`, its message
 * after `prefix`: for code that knows better where a problem it passes on is (a connections-file
 * entry, a field of it).
 */
export function relocated(error: ConnectorError, location: SourceLocation, prefix = ''): ConnectorError {
  return new ConnectorError(error.code, `${prefix}${error.message}`, {
    location,
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    context: error.context,
    cause: error,
  });
}

export function isConnectorError(error: unknown): error is ConnectorError {
  return error instanceof ConnectorError;
}

/**
 * An error as log fields: its message, and for a ConnectorError its code and hint, so the log line
 * an operator reads says what to do, not only what failed.
 */
export function errorLogFields(error: unknown): { err: string; code?: string; hint?: string } {
  const err = error instanceof Error ? error.message : String(error);
  if (!isConnectorError(error)) return { err };
  return { err, code: error.code, ...(error.hint ? { hint: error.hint } : {}) };
}
