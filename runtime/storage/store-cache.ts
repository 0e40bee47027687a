/**
 * One store object per (host, store, type) for a driver, so every `openStore` of the same store
 * shares its queue and cache; what each driver opens is its own.
 */
import { CantoError } from '../errors.js';
import type { KeyvalStore, MapStore, StoreType } from './types.js';

export class StoreCache {
  readonly #stores = new Map<string, KeyvalStore | MapStore>();

  constructor(
    readonly driver: string,
    readonly make: { keyval(host: string, store: string): KeyvalStore; map(host: string, store: string): MapStore },
  ) {}

  open(host: string, store: string, type: StoreType): KeyvalStore | MapStore {
    const id = JSON.stringify([host, store, type]);
    let opened = this.#stores.get(id);
    if (!opened) {
      if (type === 'keyval') opened = this.make.keyval(host, store);
      else if (type === 'map') opened = this.make.map(host, store);
      else throw new CantoError('ERR_STORAGE_DRIVER', [`${this.driver} (no store type '${String(type)}')`]);
      this.#stores.set(id, opened);
    }
    return opened;
  }
}
