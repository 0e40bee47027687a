/**
 * Option values as modules read them: Prosody's get_option_* conversions, periods (runtime/period.ts),
 * and the ajv validation of each module's declared options.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CantoError, type SourcePosition } from './errors.js';
import { readPeriod } from './period.js';
import { PROJECT_ROOT } from './project.js';

export { parsePeriod, readPeriod } from './period.js';

/** Looks an option up: host section, then global. `undefined` when neither sets it. */
export type OptionLookup = (name: string) => unknown;

/** Whether a config value is a Lua table with keys (a map), not a list or a scalar. */
export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Prosody's get_option_scalar: the first item of a table. */
export function toScalarOption(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}
const scalar = toScalarOption;

export function toStringOption(value: unknown): string | undefined {
  const v = scalar(value);
  return v === undefined || v === null || typeof v === 'object' ? undefined : String(v);
}

export function toNumberOption(value: unknown): number | undefined {
  const v = scalar(value);
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

export function toBooleanOption(value: unknown): boolean | undefined {
  const v = scalar(value);
  if (v === true || v === 'true' || v === 1) return true;
  if (v === false || v === 'false' || v === 0) return false;
  return undefined;
}

/** A list option: arrays as they are, a set-like object's true keys, a scalar as one item. */
export function toArrayOption(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'object') return Object.entries(value).filter(([, v]) => v === true).map(([k]) => k);
  return [String(value)];
}

/** What the option readers need of a module's schema (module-api's `OptionsSchema` is one). */
type Schema = { properties: Record<string, object> };
/** The keywords of one option's schema that coercion reads. */
interface Keywords {
  type?: string | readonly string[];
  period?: boolean;
  properties?: Record<string, object>;
  items?: object;
}

const typesOf = (schema: Keywords): readonly unknown[] => ([] as unknown[]).concat(schema.type ?? []);

/**
 * Lua has one empty table, `{}`, which the config reader gives as an empty array; where the
 * schema wants an object there (and no array), it is an empty object. Applied all the way down.
 */
function fitEmptyTables(schema: Keywords, value: unknown): unknown {
  const types = typesOf(schema);
  if (Array.isArray(value)) {
    if (value.length === 0 && types.includes('object') && !types.includes('array')) return {};
    const items = schema.items;
    return items ? value.map((v: unknown) => fitEmptyTables(items, v)) : value;
  }
  if (value && typeof value === 'object' && schema.properties) {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [name, sub] of Object.entries(schema.properties)) {
      if (name in out) out[name] = fitEmptyTables(sub, out[name]);
    }
    return out;
  }
  return value;
}

/**
 * Bring raw config values into the types a module's schema declares, the way Prosody's typed
 * getters would read them: numeric strings and periods for numbers, "true"/1 for booleans, a
 * scalar for a one-item list. What cannot be converted is left for ajv to report.
 */
export function coerceOptions(
  schema: Schema,
  lookup: OptionLookup,
  /** Told why a period option could not be read, in Prosody's words. */
  onPeriodProblem: (option: string, detail: string) => void = () => {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, keywords] of Object.entries(schema.properties)) {
    const raw = lookup(name);
    if (raw === undefined) continue;
    const prop: Keywords = keywords;
    const types = typesOf(prop);
    let value: unknown = fitEmptyTables(prop, raw);
    if (prop.period) {
      const period = readPeriod(scalar(raw));
      if ('problem' in period) onPeriodProblem(name, period.problem);
      // COMPAT: Prosody 13 stores "never" as math.huge; a schema number cannot hold it, so say so.
      else if (period.seconds === Infinity) onPeriodProblem(name, 'cannot be "never" (or negative) here, expecting a period (e.g. "2 days")');
      else value = period.seconds;
    } else if ((types.includes('number') || types.includes('integer')) && typeof raw !== 'number') {
      value = toNumberOption(raw) ?? raw;
    } else if (types.includes('boolean') && typeof raw !== 'boolean') {
      value = toBooleanOption(raw) ?? raw;
    } else if (types.includes('array') && !Array.isArray(raw)) {
      value = toArrayOption(raw);
    } else if (types.includes('string') && typeof raw === 'number') {
      value = String(raw);
    }
    out[name] = value;
  }
  return out;
}

/** Freeze an options object and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

type Validator = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

interface AjvLike {
  compile(schema: object): Validator;
}
let ajv: AjvLike | undefined;
const validators = new Map<string, Promise<Validator>>();

/**
 * Compiled validators are cached as standalone modules (ajv's standalone code) under
 * dist/schema-cache/, keyed by a hash of the schema. Loading ajv and compiling costs about as
 * much as a whole ctl start-up; a cached validator costs a file import.
 */
const CACHE_DIR = join(PROJECT_ROOT, 'dist', 'schema-cache');

async function getAjv(): Promise<AjvLike> {
  if (!ajv) {
    const { default: Ajv } = await import('ajv');
    const instance = new Ajv.default({ useDefaults: true, allErrors: true, strict: false, code: { source: true, esm: true } });
    // `period: true` marks a number option that also accepts "1 week"; coerceOptions reads it.
    instance.addKeyword({ keyword: 'period', schemaType: 'boolean' });
    ajv = instance as unknown as AjvLike;
  }
  return ajv;
}

async function compileValidator(schema: object, key: string): Promise<Validator> {
  const file = join(CACHE_DIR, `${key}.mjs`);
  try {
    return ((await import(pathToFileURL(file).href)) as { default: Validator }).default;
  } catch {
    // Not cached yet (or unreadable): compile, and cache for the next process.
  }
  const instance = await getAjv();
  const validate = instance.compile(schema);
  try {
    const { default: standalone } = await import('ajv/dist/standalone/index.js');
    const code = (standalone as unknown as { default: (a: unknown, v: unknown) => string }).default(instance, validate);
    mkdirSync(CACHE_DIR, { recursive: true });
    const scratch = `${file}.${process.pid}~`;
    writeFileSync(scratch, code);
    renameSync(scratch, file);
  } catch {
    // A read-only install still works; it just compiles every time.
  }
  return validate;
}

function validatorFor(schema: object): Promise<Validator> {
  const full = { type: 'object', ...schema };
  const key = createHash('sha256').update(JSON.stringify(full)).digest('hex').slice(0, 24);
  let validator = validators.get(key);
  if (!validator) {
    validator = compileValidator(full, key);
    validators.set(key, validator);
  }
  return validator;
}

export interface OptionProblem {
  option: string;
  /** What is wrong with it, e.g. `must be number`. */
  detail: string;
  /** `option 'x' must be number`. */
  message: string;
  position?: SourcePosition;
}

/**
 * Validate a module's options against its schema (defaults filled in) and freeze them.
 * Returns the options, or the list of problems (each naming the option and where it was set).
 */
export async function validateOptions(
  schema: Schema,
  lookup: OptionLookup,
  positionOf: (name: string) => SourcePosition | undefined,
): Promise<{ options: Record<string, unknown>; problems: OptionProblem[] }> {
  const problems: OptionProblem[] = [];
  const add = (option: string, detail: string, message: string) => {
    const problem: OptionProblem = { option, detail, message };
    const position = positionOf(option);
    if (position) problem.position = position;
    problems.push(problem);
  };
  const periodProblems = new Set<string>();
  const data = coerceOptions(schema, lookup, (option, detail) => {
    periodProblems.add(option);
    add(option, detail, `option '${option}' ${detail}`);
  });
  const validate = await validatorFor(schema);
  if (!validate(data)) {
    for (const e of validate.errors ?? []) {
      const option = e.instancePath.split('/')[1] ?? '';
      // The period's own problem says more than "must be number".
      if (periodProblems.has(option)) continue;
      const what = e.message ?? 'is invalid';
      add(option, what, `${e.instancePath ? `option '${option}'` : 'options'} ${what}`);
    }
  }
  return { options: deepFreeze(data), problems };
}

export function optionError(problem: OptionProblem): CantoError {
  return new CantoError('ERR_OPTION_INVALID', [problem.option, problem.detail], problem.position ? { position: problem.position } : {});
}
