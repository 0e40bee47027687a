import t from 'tap';
import { managerSubject, runContract } from '../../../helpers/store-contract.js';
import { freshDatabase, havePostgres, sqlOption } from '../../../helpers/postgres.js';

if (havePostgres(t)) {
  const target = await freshDatabase(t);
  await runContract(t, managerSubject('sql (PostgreSQL)', () => ({ storage: 'sql', sql: sqlOption(target) })));
}
