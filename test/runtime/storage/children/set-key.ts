/**
 * Child process: set one key of a map store through its own driver, then exit.
 * Usage: set-key.ts <dataPath> <host> <store> <user|-> <key> <json value>
 */
import { InternalDriver } from '../../../../runtime/storage/internal.js';

const [dataPath, host, store, user, key, json] = process.argv.slice(2) as [string, string, string, string, string, string];
const driver = new InternalDriver({ dataPath, options: new Map(), log: (level, msg) => process.stderr.write(`${level} ${msg}\n`) });
await driver.open(host, store, 'map').set(user === '-' ? null : user, key, JSON.parse(json));
await driver.close();
