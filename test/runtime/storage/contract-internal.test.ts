import t from 'tap';
import { managerSubject, runContract } from '../../helpers/store-contract.js';

await runContract(t, managerSubject('internal', () => ({ storage: 'internal' })));
