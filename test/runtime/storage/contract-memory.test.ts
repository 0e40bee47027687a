import t from 'tap';
import { freshHost, runContract } from '../../helpers/store-contract.js';
import { memoryKeyval, memoryStore } from '../../helpers/memory-store.js';
import type { MemoryTables } from '../../helpers/memory-store.js';

await runContract(t, {
  name: 'the in-memory double',
  async open() {
    const stores = new Map<string, MemoryTables>();
    const tables = (store: string) => stores.get(store) ?? stores.set(store, new Map()).get(store)!;
    return { host: freshHost(), map: (store) => memoryStore(tables(store)), keyval: (store) => memoryKeyval(tables(store)), close: async () => {} };
  },
});
