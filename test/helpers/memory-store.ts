/**
 * An in-memory store with the driver contract's semantics (values copied in and out, updates
 * atomic, setKeys all or nothing), for unit tests of modules; it passes the same contract
 * suite as the real drivers (test/runtime/storage/contract-memory.test.ts).
 */
import { KEEP, REMOVE } from '../../runtime/storage/types.js';
import type { Keep, KeyvalStore, MapStore, Removal, StoreTable, StoreUser, StoreValue } from '../../runtime/storage/types.js';

export type MemoryTables = Map<string | null, Map<string, StoreValue>>;

const copy = <T>(v: T): T => (v === undefined ? v : structuredClone(v));
/** What reading back from a Prosody store gives: [] is an empty table, {}. */
const stored = (v: StoreValue): StoreValue => (Array.isArray(v) && v.length === 0 ? {} : copy(v));

export function memoryStore(tables: MemoryTables = new Map()): MapStore<StoreValue> & { tables: MemoryTables } {
  const table = (user: StoreUser) => tables.get(user) ?? tables.set(user, new Map()).get(user)!;
  let queue = Promise.resolve();
  const serial = <R>(fn: () => R): Promise<R> => {
    const run = queue.then(fn);
    queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };
  return {
    tables,
    get: async (user, key) => copy(tables.get(user)?.get(key)),
    set: (user, key, value) => {
      const v = value === undefined ? undefined : stored(value);
      return serial(() => void (v === undefined ? table(user).delete(key) : table(user).set(key, v)));
    },
    setKeys: async (user, changes: Record<string, StoreValue | Removal>) => {
      const prepared = Object.entries(changes).map(([k, v]) => [k, v === REMOVE ? REMOVE : stored(v as StoreValue)] as const);
      return serial(() => {
        for (const [key, value] of prepared) value === REMOVE ? table(user).delete(key) : table(user).set(key, value);
      });
    },
    entries: async function* (user) {
      for (const [k, v] of [...(tables.get(user) ?? [])]) yield [k, copy(v)] as [string, StoreValue];
    },
    update: <R extends StoreValue | undefined | Keep>(user: StoreUser, key: string, fn: (current: StoreValue | undefined) => R) =>
      serial(() => {
        const result = fn(copy(table(user).get(key)));
        if (result === KEEP) return result;
        if (result === undefined) table(user).delete(key);
        else table(user).set(key, stored(result as StoreValue));
        return result;
      }),
    users: async () => [...tables.keys()].filter((u): u is string => u !== null && tables.get(u)!.size > 0),
  };
}

/** A keyval view of the same tables (Prosody's keyval and map of one store share the data). */
export function memoryKeyval(tables: MemoryTables): KeyvalStore {
  return {
    get: async (user) => {
      const t = tables.get(user);
      if (!t || t.size === 0) return undefined;
      const out: StoreTable = {};
      for (const [k, v] of t) out[k] = copy(v);
      return out;
    },
    set: async (user, data) => {
      const entries = Object.entries(data ?? {}).map(([k, v]) => [k, stored(v)] as const);
      tables.set(user, new Map(entries));
    },
    update: async <R extends StoreTable | undefined | Keep>(user: StoreUser, fn: (current: StoreTable | undefined) => R): Promise<R> => {
      const t = tables.get(user);
      const result = fn(t && t.size ? Object.fromEntries([...t].map(([k, v]) => [k, copy(v)])) : undefined);
      if (result !== KEEP) tables.set(user, new Map(Object.entries((result as StoreTable | undefined) ?? {}).map(([k, v]) => [k, stored(v)] as const)));
      return result;
    },
    users: async () => [...tables.keys()].filter((u): u is string => u !== null && tables.get(u)!.size > 0),
  };
}
