/**
 * An archive item as mod_storage_internal writes it in a `.list` file: the preserialized stanza
 * with `key`, `when` and `with` beside `name` and `attr` (archive:append).
 */
import { elementFromTable } from '../xml.js';
import type { ArchiveItem, StoreValue } from './types.js';

/** The item (`position`: its place in the file, from 1, Prosody's key for an item without one), or a TypeError saying why it is not one. */
export function archiveItem(value: StoreValue | undefined, position: number): ArchiveItem {
  const element = elementFromTable(value);
  const record = value as Record<string, StoreValue>;
  const { key, when } = record;
  // Older items have only the stamp attribute (mod_storage_internal reads it when `when` is missing).
  const time = typeof when === 'number' ? when : Date.parse(element.attr.stamp ?? '') / 1000;
  if (!Number.isFinite(time)) throw new TypeError('archive item without a time');
  const item: ArchiveItem = { key: typeof key === 'string' ? key : String(position), when: Math.floor(time), value: element };
  if (typeof record.with === 'string') item.with = record.with;
  return item;
}
