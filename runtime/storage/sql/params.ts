/**
 * The `sql` option as mod_storage_sql reads it (normalize_params): `{ driver = "SQLite3" }`
 * by default; SQLite's `database` defaults to "prosody.sqlite" and is relative to data_path.
 */
import { isAbsolute, resolve } from 'node:path';
import { CantoError } from '../../errors.js';
import type { SourcePosition } from '../../errors.js';
import { isTable } from '../../options.js';

export interface SqlParams {
  readonly driver: 'SQLite3' | 'PostgreSQL';
  /** SQLite: an absolute path or ":memory:"; PostgreSQL: the database name. */
  readonly database: string;
  readonly host?: string;
  readonly port?: number;
  readonly username?: string;
  readonly password?: string;
}

export function sqlOptionError(message: string, position?: SourcePosition): CantoError {
  return new CantoError('ERR_STORAGE_CONFIG', ['sql', message], position ? { position } : {});
}

function text(table: Record<string, unknown>, name: string, position: SourcePosition | undefined): string | undefined {
  const v = table[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && name !== 'database') return String(v);
  throw sqlOptionError(`'${name}' must be a string`, position);
}

export function sqlParams(option: unknown, dataPath: string, position?: SourcePosition): SqlParams {
  const table = option === undefined ? { driver: 'SQLite3' } : option;
  if (!isTable(table)) throw sqlOptionError('expected a table such as { driver = "SQLite3", database = "prosody.sqlite" }', position);
  const driver = table.driver;
  if (driver === 'MySQL') throw sqlOptionError('the MySQL driver is not supported yet; use "SQLite3" or "PostgreSQL"', position);
  if (driver !== 'SQLite3' && driver !== 'PostgreSQL') {
    throw sqlOptionError(driver === undefined ? 'Both the SQL driver and the database need to be specified' : `unknown driver ${JSON.stringify(driver)} (expected "SQLite3" or "PostgreSQL")`, position);
  }
  let database = text(table, 'database', position);
  if (driver === 'SQLite3') {
    database ??= 'prosody.sqlite';
    if (database !== ':memory:' && !isAbsolute(database)) database = resolve(dataPath, database);
  } else if (database === undefined || database === '') {
    throw sqlOptionError('Both the SQL driver and the database need to be specified', position);
  }
  const port = table.port;
  if (port !== undefined && !(typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536) && !(typeof port === 'string' && /^\d{1,5}$/.test(port))) {
    throw sqlOptionError("'port' must be a port number", position);
  }
  const host = text(table, 'host', position);
  const username = text(table, 'username', position);
  const password = text(table, 'password', position);
  return {
    driver,
    database,
    ...(host !== undefined && { host }),
    ...(port !== undefined && { port: Number(port) }),
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
  };
}
