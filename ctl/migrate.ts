/**
 * `ctl migrate HOST FROM TO`: copy every store of a host from one storage driver to another
 * (`internal` to `sql` or back), as prosody-migrator does. Each user's table (and the host's
 * own) is one record: a record missing in the target is copied; one already there with the same
 * data is left alone, so running it again changes nothing; one there with different data stops
 * the migration before anything is written. Every record is read back from the target and
 * compared key by key before the command says it is done.
 */
import { errorText } from '../runtime/errors.js';
import type { Runtime } from '../runtime/runtime.js';
import type { StorageDriver, StoreTable, StoreUser, StoreValue } from '../runtime/storage/types.js';
import type { CtlIo } from './run.js';

const USAGE = `Usage: ctl migrate HOST FROM TO

Copy every store of HOST from the storage driver FROM to TO ("internal" or "sql"; the sql
database is the config's \`sql\` option). Records already in TO with the same data are kept;
if TO holds different data for any record, nothing is copied.
`;

const DRIVERS = ['internal', 'sql'];

/** JSON with keys sorted, so two tables with the same data compare equal whatever their order. */
function canonical(v: StoreValue | undefined): string {
  if (v === undefined) return 'undefined';
  if (typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return v.length ? `[${v.map(canonical).join(',')}]` : '{}';
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
}

/** The keys of two tables whose values differ (or that only one has). */
function differingKeys(a: StoreTable, b: StoreTable): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => canonical(a[k]) !== canonical(b[k])).sort();
}

interface Record {
  store: string;
  user: StoreUser;
  table: StoreTable;
}

const label = (r: { store: string; user: StoreUser }) => `${r.store} ${r.user === null ? '(host)' : `user '${r.user}'`}`;

export async function migrateCommand(args: string[], load: () => Runtime, io: CtlIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(USAGE.trimEnd());
    return 0;
  }
  const [hostArg, from, to, ...extra] = args;
  if (!hostArg || !from || !to) io.usage('missing HOST, FROM or TO', USAGE);
  if (extra.length) io.usage(`unexpected argument '${extra[0]}'`, USAGE);
  for (const name of [from, to]) if (!DRIVERS.includes(name)) io.usage(`unknown storage driver '${name}' (expected ${DRIVERS.join(' or ')})`, USAGE);
  if (from === to) io.usage('FROM and TO are the same driver', USAGE);
  const runtime = load();
  const host = hostArg.toLowerCase();
  if (!runtime.hostNames().includes(host)) {
    io.err('Error: please supply a valid host');
    return 1;
  }
  try {
    const source = await runtime.storage.startedDriver(host, from);
    const target = await runtime.storage.startedDriver(host, to);
    return await migrate(host, source, target, io);
  } catch (e) {
    io.err(`Error: ${errorText(e)}`);
    return 1;
  } finally {
    await runtime.storage.close();
  }
}

async function migrate(host: string, source: StorageDriver, target: StorageDriver, io: CtlIo): Promise<number> {
  if (!source.stores) throw new Error(`the ${source.name} driver cannot list its stores`);
  const records: Record[] = [];
  for (const store of (await source.stores(host)).sort()) {
    const kv = source.open(host, store, 'keyval');
    for (const user of [null, ...(await kv.users()).sort()]) {
      const table = await kv.get(user);
      if (table) records.push({ store, user, table });
    }
  }

  // First compare everything, so a conflict stops the migration before any write.
  const copy: Record[] = [];
  let same = 0;
  const conflicts: string[] = [];
  for (const r of records) {
    const there = await target.open(host, r.store, 'keyval').get(r.user);
    if (!there) copy.push(r);
    else if (!differingKeys(r.table, there).length) same++;
    else conflicts.push(`${label(r)} (keys ${differingKeys(r.table, there).slice(0, 5).join(', ')})`);
  }
  if (conflicts.length) {
    io.err(`Error: the ${target.name} storage of ${host} already holds different data for ${conflicts.length} record${conflicts.length === 1 ? '' : 's'}; nothing was copied:`);
    for (const c of conflicts) io.err(`  ${c}`);
    return 1;
  }

  for (const r of copy) await target.open(host, r.store, 'keyval').set(r.user, r.table);

  // Read every record back from the target and compare it key by key.
  let keys = 0;
  for (const r of records) {
    const there = (await target.open(host, r.store, 'keyval').get(r.user)) ?? {};
    const wrong = differingKeys(r.table, there);
    if (wrong.length) {
      io.err(`Error: ${label(r)} reads back differently from ${target.name} (keys ${wrong.slice(0, 5).join(', ')})`);
      return 1;
    }
    keys += Object.keys(r.table).length;
  }
  const stores = new Set(records.map((r) => r.store));
  for (const store of [...stores].sort()) {
    const of = records.filter((r) => r.store === store);
    const copied = copy.filter((r) => r.store === store).length;
    io.out(`${store}: ${copied} record${copied === 1 ? '' : 's'} copied, ${of.length - copied} already there`);
  }
  io.out(`Migrated ${host} from ${source.name} to ${target.name}: ${copy.length} records copied, ${same} already there; all ${records.length} records (${keys} keys) verified`);
  return 0;
}
