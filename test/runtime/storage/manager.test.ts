import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StorageManager } from '../../../runtime/storage/manager.js';

/** A manager over a config given as { host or '*': { option: value } }, host options falling back to '*'. */
function manager(dataPath: string, config: Record<string, Record<string, unknown>>) {
  const logs: string[] = [];
  const m = new StorageManager({
    dataPath,
    option: (host, name) => (host !== null && name in (config[host] ?? {}) ? config[host]![name] : config['*']?.[name]),
    log: (level, message) => logs.push(`${level} ${message}`),
  });
  return Object.assign(m, { logs });
}

t.test('the driver is chosen per store as Prosody chooses it', async (t) => {
  const dir = t.testdir();
  t.equal(manager(dir, {}).driverName('example.com', 'invite_token'), 'internal', 'nothing configured: internal');
  t.equal(manager(dir, { '*': { default_storage: 'sql' } }).driverName('example.com', 'x'), 'sql', 'default_storage');
  t.equal(manager(dir, { 'example.com': { storage: 'sql' }, '*': { storage: 'internal' } }).driverName('example.com', 'x'), 'sql', 'host storage string wins');
  const perStore = manager(dir, { '*': { storage: { invite_token: 'sql' }, default_storage: 'internal' } });
  t.equal(perStore.driverName('example.com', 'invite_token'), 'sql', 'storage table names the store');
  t.equal(perStore.driverName('example.com', 'accounts'), 'internal', 'a store missing from the table uses default_storage');
});

t.test('"sql2" is read as "sql" with one error in the log', async (t) => {
  const m = manager(t.testdir(), { '*': { storage: 'sql2' } });
  t.equal(m.driverName('example.com', 'a'), 'sql');
  t.equal(m.driverName('example.com', 'b'), 'sql');
  t.equal(m.logs.length, 1);
  t.match(m.logs[0], /^error .*'sql2' storage module has now been renamed to 'sql'/);
});

t.test('an unknown driver, MySQL and a bad sql option are errors that name the option', async (t) => {
  const dir = t.testdir();
  t.throws(() => manager(dir, { '*': { storage: 'nosuch' } }).open('example.com', 'x', 'map'), {
    code: 'ERR_STORAGE_DRIVER',
    message: "Unknown storage driver 'nosuch'",
  });
  await t.rejects(manager(dir, { '*': { storage: 'sql', sql: { driver: 'MySQL', database: 'prosody' } } }).start(['example.com']), {
    code: 'ERR_STORAGE_CONFIG',
    message: `option 'sql': the MySQL driver is not supported yet; use "SQLite3" or "PostgreSQL"`,
  });
  await t.rejects(manager(dir, { '*': { storage: { invite_token: 'sql' }, sql: { driver: 'PostgreSQL' } } }).start(['example.com']), {
    code: 'ERR_STORAGE_CONFIG',
    message: "option 'sql': Both the SQL driver and the database need to be specified",
  });
  await t.rejects(manager(dir, { '*': { default_storage: 'sql', sql: { driver: 'SQLite3', database: join(dir, 'missing', 'x.sqlite') } } }).start(['example.com']), {
    code: 'ERR_STORAGE_CONFIG',
    message: `option 'sql': cannot open the SQLite3 database ${join(dir, 'missing', 'x.sqlite')}: ENOENT: no such file or directory`,
  });
  t.equal(existsSync(join(dir, 'missing')), false, 'nothing was created');
});

t.test('start() starts only the drivers a host can pick; hosts with the same sql option share one database', async (t) => {
  const dir = t.testdir();
  const m = manager(dir, { '*': { storage: { invite_token: 'sql' } }, 'a.example': {}, 'b.example': {} });
  t.strictSame(m.driverNames('a.example').sort(), ['internal', 'sql']);
  await m.start(['a.example', 'b.example']);
  t.ok(existsSync(join(dir, 'prosody.sqlite')), 'SQLite database relative to data_path, Prosody\'s default name');
  await m.open('a.example', 'invite_token', 'map').set(null, 'k', 1);
  t.equal(await m.open('b.example', 'invite_token', 'map').get(null, 'k'), undefined, 'hosts are kept apart by the host column');
  t.equal(await m.open('a.example', 'invite_token', 'map').get(null, 'k'), 1);
  await m.close();
});

t.test('opening the same (host, store, type) twice returns the same store', async (t) => {
  const m = manager(t.testdir(), {});
  t.equal(m.open('example.com', 'invite_token', 'map'), m.open('example.com', 'invite_token', 'map'));
  t.not(m.open('example.com', 'invite_token', 'map'), m.open('other.example', 'invite_token', 'map'));
});

t.test('close() waits until every queued write is on disk', async (t) => {
  const dir = t.testdir();
  const m = manager(dir, {});
  const writes = Array.from({ length: 20 }, (_, i) => m.open('example.com', 'invite_token', 'map').set(null, `k${i}`, i));
  void m.open('example.com', 'accounts', 'keyval').set('alice', { a: 1 });
  await m.close();
  t.ok(existsSync(join(dir, 'example%2ecom', 'invite_token.dat')));
  t.ok(existsSync(join(dir, 'example%2ecom', 'accounts', 'alice.dat')));
  await Promise.all(writes);
});
