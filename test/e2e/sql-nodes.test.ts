/**
 * Two Canto servers and ctl on one PostgreSQL database (the scenario is test/helpers/two-nodes.ts).
 */
import t from 'tap';
import { freshDatabase, havePostgres } from '../helpers/postgres.js';
import { twoNodes } from '../helpers/two-nodes.js';

t.test('two Canto nodes and ctl on one PostgreSQL database', async (t) => {
  if (!havePostgres(t)) return;
  const db = await freshDatabase(t);
  await twoNodes(t, () => `{ driver = "PostgreSQL", host = ${JSON.stringify(db.host)}, username = ${JSON.stringify(db.username)}, database = ${JSON.stringify(db.database)} }`);
});
