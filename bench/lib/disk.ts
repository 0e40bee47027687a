/**
 * The disk's share: how long one durable commit takes on this machine right now, measured with
 * the runtime's own writeAtomic (scratch file, fsync, rename, fsync of the folder) on a file the
 * size of the invite store, and the floor of any durable scheme (append + fdatasync). With one
 * request in flight per connection, connections / commit time bounds requests/s.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomic } from '../../runtime/storage/durable-fs.js';
import { median } from './stats.js';
import { inviteFile, prefillInvites } from './store.js';

export interface DiskTimings {
  /** ms per writeAtomic of the store file with this many invites. */
  replace: Record<number, number>;
  /** ms per 400-byte append + fdatasync. */
  appendSync: number;
}

export async function diskTimings(sizes: number[], runs = 20): Promise<DiskTimings> {
  const dir = mkdtempSync(join(tmpdir(), 'canto-bench-disk-'));
  try {
    const replace: Record<number, number> = {};
    for (const count of sizes) {
      const data = join(dir, String(count));
      prefillInvites(data, Math.max(count, 1));
      const path = inviteFile(data);
      const text = readFileSync(path, 'utf8');
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) {
        const began = performance.now();
        await writeAtomic(path, Buffer.from(text));
        ms.push(performance.now() - began);
      }
      replace[count] = median(ms);
    }
    const log = await open(join(dir, 'journal'), 'a', 0o640);
    const record = Buffer.alloc(400, 0x61);
    const ms: number[] = [];
    try {
      for (let i = 0; i < runs; i++) {
        const began = performance.now();
        await log.write(record);
        await log.datasync();
        ms.push(performance.now() - began);
      }
    } finally {
      await log.close();
    }
    return { replace, appendSync: median(ms) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
