/**
 * One registry of stable error codes. Code checks `err.code`, never message text.
 * Each code has a message template and, where the error meets HTTP, a status.
 */

export interface ErrorSpec {
  /** Message template; `%s` placeholders are filled from the arguments in order. */
  message: string;
  /** HTTP status when the error reaches a client; omitted means 500. */
  status?: number;
}

export const ERRORS = {
  ERR_CONFIG_NOT_FOUND: { message: 'Config file not found: %s' },
  ERR_CONFIG_PARSE: { message: '%s' },
  ERR_CONFIG_RUNTIME: { message: '%s' },
  ERR_CONFIG_INVALID: { message: '%s' },
  ERR_CONFIG_INCLUDE: { message: 'Include: %s' },
  ERR_MODULE_NOT_FOUND: { message: "Module '%s' not found" },
  ERR_MODULE_LOAD: { message: "Failed to load module '%s' on %s: %s" },
  ERR_MODULE_DISABLED: { message: "Dependency '%s' is disabled on %s" },
  ERR_MODULE_CYCLE: { message: 'Dependency cycle: %s' },
  ERR_MODULE_DEFINITION: { message: "Module '%s' does not export a valid definition: %s" },
  ERR_EVENT_ASYNC_HANDLER: { message: "Event '%s' is fired synchronously by the host, so an async handler could not be waited for; hook a synchronous one" },
  ERR_OPTION_INVALID: { message: "option '%s' %s" },
  ERR_STORAGE_PARSE: { message: 'Error reading storage %s: %s' },
  ERR_STORAGE_READ: { message: 'Error reading storage %s: %s', status: 503 },
  ERR_STORAGE_WRITE: { message: 'Error saving to storage %s: %s', status: 503 },
  ERR_STORAGE_DRIVER: { message: "Unknown storage driver '%s'" },
  ERR_STORAGE_LOCKED: { message: 'Storage %s is locked by another process', status: 503 },
  ERR_STORAGE_UNSAFE: { message: 'Refusing to use %s: %s' },
  ERR_STORAGE_VALUE: { message: 'Cannot store value: %s' },
  ERR_HOST_UNKNOWN: { message: 'Error: please supply a valid host' },
  ERR_CTL_USAGE: { message: '%s' },
  ERR_CTL_FAILED: { message: '%s' },
  ERR_HTTP_BAD_REQUEST: { message: 'Bad Request', status: 400 },
  ERR_HTTP_NOT_FOUND: { message: 'Not Found', status: 404 },
  ERR_HTTP_TOO_LARGE: { message: 'Payload Too Large', status: 413 },
  ERR_HTTP_ROUTE_INVALID: { message: "Invalid route key '%s'" },
  ERR_TLS: { message: 'TLS: %s' },
  ERR_HTTP_LISTEN: { message: 'Cannot listen for %s on %s port %s: %s' },
  ERR_AUTH_PROVIDER: { message: "authentication = \"%s\" on %s: Canto manages accounts only with \"internal_hashed\" (Prosody's default) or \"internal_plain\"" },
  ERR_ACCOUNT_USERNAME: { message: 'The given username is invalid in a Jabber ID', status: 400 },
  ERR_ACCOUNT_PASSWORD: { message: 'The password contains characters that SASLprep refuses (control or right-to-left characters)', status: 400 },
  ERR_STORAGE_CONFIG: { message: "option '%s': %s" },
  ERR_STORAGE_DOWN: { message: 'Storage unavailable: %s', status: 503 },
  ERR_CONTROL_IN_USE: { message: 'Another Canto instance seems to be running with this data folder (%s answers, PID %s), quitting' },
  ERR_PIDFILE_IN_USE: { message: 'Another Canto instance seems to be running with this pidfile (%s, PID %s), quitting' },
  ERR_PIDFILE_WRITE: { message: "Couldn't write pidfile at %s: %s" },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export class CantoError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Where in a config file the problem is, when it comes from one. */
  readonly position?: SourcePosition;
  /** The config option the problem is in, when known (ctl check looks its position up). */
  readonly option?: string;

  constructor(code: ErrorCode, args: readonly unknown[] = [], options: { cause?: unknown; position?: SourcePosition; option?: string } = {}) {
    const spec: ErrorSpec = ERRORS[code];
    let i = 0;
    const message = spec.message.replace(/%s/g, () => String(args[i++]));
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CantoError';
    this.code = code;
    this.status = spec.status ?? 500;
    if (options.position) this.position = options.position;
    if (options.option !== undefined) this.option = options.option;
  }

  /** `file:line:column: message` when there is a position, else the message. */
  describe(): string {
    const p = this.position;
    return p ? `${p.file}:${p.line}:${p.column}: ${this.message}` : this.message;
  }
}

export function isCantoError(err: unknown, code?: ErrorCode): err is CantoError {
  return err instanceof CantoError && (code === undefined || err.code === code);
}

/** A short description of any thrown value, without a stack trace. */
export function errorText(err: unknown): string {
  if (err instanceof CantoError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
