/**
 * Two Canto servers and ctl on one SQLite file on one machine (the scenario is
 * test/helpers/two-nodes.ts): update() holds SQLite's write lock from its read to its commit,
 * so a single-use invite raced on both nodes is used once and nothing waits forever.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { giveToServiceUser } from '../helpers/canto.js';
import { twoNodes } from '../helpers/two-nodes.js';

t.test('two Canto nodes and ctl on one SQLite file', async (t) => {
  await twoNodes(t, (root) => {
    // A folder both nodes (and ctl) may write: the database, its -wal and its -shm.
    const shared = join(root, 'shared');
    mkdirSync(shared, { mode: 0o750 });
    giveToServiceUser(shared);
    return `{ driver = "SQLite3", database = ${JSON.stringify(join(shared, 'prosody.sqlite'))} }`;
  });
});
