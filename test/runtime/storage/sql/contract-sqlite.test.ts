import t from 'tap';
import { join } from 'node:path';
import { managerSubject, runContract } from '../../../helpers/store-contract.js';

await runContract(t, managerSubject('sql (SQLite3)', (dir) => ({ storage: 'sql', sql: { driver: 'SQLite3', database: join(dir, 'prosody.sqlite') } })));
