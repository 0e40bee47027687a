/**
 * Request bodies for routes that declare one (RouteSpec.body). A JSON one: the Content-Type is
 * checked before anything is read (415), the size while reading (413), then the syntax and
 * the route's schema (400 naming the offending field); the schema is compiled once, at mount.
 * One without a schema (a form) is only held to its size.
 */
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { HttpError } from './http-error.js';
import { DEFAULT_BODY_LIMIT, type BodySpec } from './types.js';

// ajv is CommonJS; createRequire gives its constructor without an interop dance.
const AjvClass = createRequire(import.meta.url)('ajv') as typeof import('ajv').default;
let ajv: InstanceType<typeof AjvClass> | undefined;

export interface CompiledBody {
  /** The smaller of the route's limit and the server's. */
  limit(serverLimit: number): number;
  /** Throws 415 unless the request says it sends JSON (an empty body needs no type). */
  checkType(contentType: string | undefined, announced: boolean): void;
  /** The parsed, validated value, or `undefined` for an empty optional body; throws 400. */
  parse(body: Buffer): unknown;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

/** `ttl` for `/ttl`, `group_options.name` for `/group_options/name`, the field itself for required/unknown ones. */
function fieldOf(error: ErrorObject): string {
  const path = error.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const named = params.missingProperty ?? params.additionalProperty;
  if (named !== undefined) path.push(named);
  return path.join('.');
}

function describe(error: ErrorObject): { text: string; field: string } {
  const field = fieldOf(error);
  if (error.keyword === 'additionalProperties') return { text: `Unknown field '${field}'`, field };
  if (error.keyword === 'required') return { text: `Missing field '${field}'`, field };
  if (field === '') return { text: `Request body ${error.message ?? 'is invalid'}`, field };
  return { text: `Field '${field}' ${error.message ?? 'is invalid'}`, field };
}

export function compileBody(spec: BodySpec): CompiledBody {
  if (spec.schema === undefined) return rawBody(spec);
  ajv ??= new AjvClass({ allErrors: false, strict: false, coerceTypes: false, useDefaults: false });
  const validate: ValidateFunction = ajv.compile(spec.schema);
  return {
    limit: (serverLimit) => Math.min(spec.maxSize ?? serverLimit, serverLimit),
    checkType(contentType, announced) {
      if (!announced) return;
      // COMPAT: Prosody's admin API answers 400 for a wrong content type; 415 says what is wrong.
      if (contentType === undefined || !JSON_TYPE.test(contentType)) {
        throw new HttpError(415, 'bad-request', 'Content-Type must be application/json');
      }
    },
    parse(body) {
      if (body.length === 0) {
        if (spec.required) throw new HttpError(400, 'bad-request', 'A JSON request body is required');
        return undefined;
      }
      let value: unknown;
      try {
        value = JSON.parse(body.toString('utf8'));
      } catch {
        throw new HttpError(400, 'bad-request', 'Invalid JSON submitted');
      }
      if (!validate(value)) {
        const { text, field } = describe(validate.errors![0]!);
        throw new HttpError(400, 'bad-request', text, field ? { extra: { field } } : {});
      }
      return value;
    },
  };
}

/** A body without a schema (a form): only its size is checked; the handler reads `request.body`. */
function rawBody(spec: BodySpec): CompiledBody {
  return {
    limit: (serverLimit) => Math.min(spec.maxSize ?? DEFAULT_BODY_LIMIT, serverLimit),
    checkType() {},
    parse(body) {
      if (body.length === 0 && spec.required) throw new HttpError(400, 'bad-request', 'A request body is required');
      return undefined;
    },
  };
}
