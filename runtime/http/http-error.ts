/**
 * Errors a handler throws to answer with a status: `throw new HttpError(404, 'item-not-found',
 * 'No such invite')`. The server answers JSON clients in the shape of Prosody's util.error
 * (`{"type", "condition", "text"}`) and browsers with the usual small page; either way only
 * what the handler chose to say reaches the client.
 */

/** util.error's error types (those of XMPP stanza errors). */
export type ErrorType = 'cancel' | 'continue' | 'modify' | 'auth' | 'wait';

/** What a JSON client receives; `extra` carries machine-readable detail such as the offending field. */
export interface ErrorBody {
  type: ErrorType;
  condition: string;
  text?: string;
  extra?: Record<string, string>;
}

/** The condition and type a bare status gets, after XEP-0086's mapping of stanza errors to HTTP codes. */
const BY_STATUS: Record<number, [string, ErrorType]> = {
  400: ['bad-request', 'modify'],
  401: ['not-authorized', 'auth'],
  403: ['forbidden', 'auth'],
  404: ['item-not-found', 'cancel'],
  405: ['not-allowed', 'cancel'],
  406: ['not-acceptable', 'modify'],
  408: ['remote-server-timeout', 'wait'],
  409: ['conflict', 'cancel'],
  410: ['gone', 'cancel'],
  413: ['policy-violation', 'modify'],
  415: ['bad-request', 'modify'],
  429: ['resource-constraint', 'wait'],
  431: ['policy-violation', 'modify'],
  500: ['internal-server-error', 'wait'],
  501: ['feature-not-implemented', 'cancel'],
  503: ['service-unavailable', 'cancel'],
};

/** Condition and type for a status; unknown 4xx are bad requests, unknown 5xx internal errors. */
export function conditionFor(status: number): [string, ErrorType] {
  return BY_STATUS[status] ?? (status >= 500 ? ['internal-server-error', 'wait'] : ['bad-request', 'modify']);
}

export interface HttpErrorOptions {
  /** util.error's type; default the one that goes with the status. */
  type?: ErrorType;
  /** Response headers, e.g. `WWW-Authenticate` for a 401 or `Retry-After` for a 429. */
  headers?: Record<string, string>;
  /** Detail for JSON clients (`{ field: 'ttl' }`). */
  extra?: Record<string, string>;
  cause?: unknown;
}

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly condition: string;
  readonly type: ErrorType;
  /** Safe to show the client; the default page line is used when absent. */
  readonly text: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly extra: Readonly<Record<string, string>> | undefined;

  /**
   * @example throw new HttpError(404, 'item-not-found', 'No such invite')
   * @example throw new HttpError(401, undefined, undefined, { headers: { 'WWW-Authenticate': 'Bearer' } })
   */
  constructor(status: number, condition?: string, text?: string, options: HttpErrorOptions = {}) {
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new RangeError(`HttpError status must be 4xx or 5xx, not ${status}`);
    const [defaultCondition, defaultType] = conditionFor(status);
    super(text ?? condition ?? defaultCondition, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.condition = condition ?? defaultCondition;
    this.type = options.type ?? (condition === undefined || condition === defaultCondition ? defaultType : conditionType(condition, defaultType));
    this.text = text;
    this.headers = options.headers ?? {};
    this.extra = options.extra;
  }

  /** The JSON body of this error. */
  toJSON(): ErrorBody {
    const body: ErrorBody = { type: this.type, condition: this.condition };
    if (this.text !== undefined) body.text = this.text;
    if (this.extra !== undefined) body.extra = { ...this.extra };
    return body;
  }
}

/** The type that usually goes with a condition named by the handler. */
function conditionType(condition: string, fallback: ErrorType): ErrorType {
  for (const [known, type] of Object.values(BY_STATUS)) if (known === condition) return type;
  return fallback;
}

/** Every module shares the host's one instance of canto/module-api, so the class is enough. */
export function isHttpError(err: unknown): err is HttpError {
  return err instanceof HttpError;
}
