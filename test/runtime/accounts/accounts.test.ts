import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { createAccounts, type Accounts, type UserEvent } from '../../../runtime/accounts/accounts.js';
import { isCantoError } from '../../../runtime/errors.js';
import { parseData } from '../../../runtime/storage/lua-data.js';
import { StorageManager } from '../../../runtime/storage/manager.js';
import type { StoreTable } from '../../../runtime/storage/types.js';

const fixtures = fileURLToPath(new URL('../../fixtures/prosody-0.12.3/internal/', import.meta.url));
const HOST = 'example.com';

function setup(t: Test, options: Record<string, unknown> = {}) {
  const dataPath = t.testdir();
  const storage = new StorageManager({ dataPath, option: (_h, name) => options[name], log: () => {} });
  const events: Array<[string, UserEvent]> = [];
  const accounts = createAccounts({
    host: HOST,
    option: (name) => options[name],
    openAccountsStore: () => storage.open(HOST, 'accounts', 'keyval'),
    fireEvent: (event, data) => events.push([event, data as UserEvent]),
    purge: (username) => storage.purge(HOST, username),
  });
  t.teardown(() => storage.close());
  return { dataPath, storage, accounts, events, file: (store: string, user: string) => join(dataPath, 'example%2ecom', store, `${user}.dat`) };
}

const read = (path: string) => parseData(readFileSync(path, 'utf8'), path) as StoreTable;

t.test('an account Prosody 0.12 wrote accepts its password and refuses others', async (t) => {
  const { dataPath, accounts } = setup(t);
  cpSync(fixtures, dataPath, { recursive: true });
  t.equal(await accounts.exists('alice'), true);
  t.equal(await accounts.testPassword('alice', 'secret-pass'), true);
  t.equal(await accounts.testPassword('alice', 'secret-pass '), false);
  t.equal(await accounts.testPassword('alice', ''), false);
  t.equal(await accounts.testPassword('bob', 'secret-pass'), false);
  t.same(await accounts.users(), ['alice']);
});

t.test('internal_hashed writes the four fields Prosody writes, with a fresh UUID salt', async (t) => {
  const { accounts, file } = setup(t);
  t.equal(await accounts.create('bob', 'hunter2hunter2'), true);
  const record = read(file('accounts', 'bob'));
  t.same(Object.keys(record).sort(), ['iteration_count', 'salt', 'server_key', 'stored_key']);
  t.equal(record['iteration_count'], 10000);
  t.match(record['salt'], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.match(record['stored_key'], /^[0-9a-f]{40}$/);
  t.equal(await accounts.testPassword('bob', 'hunter2hunter2'), true);
  t.notOk(readFileSync(file('accounts', 'bob'), 'utf8').includes('hunter2'), 'no plaintext on disk');
});

t.test('creating a name that exists writes nothing and says so; concurrent creations: exactly one wins', async (t) => {
  const { accounts, file } = setup(t);
  const results = await Promise.all([accounts.create('carol', 'first-password'), accounts.create('carol', 'second-password')]);
  t.same(results.filter(Boolean).length, 1);
  const before = readFileSync(file('accounts', 'carol'), 'utf8');
  t.equal(await accounts.create('carol', 'third-password'), false);
  t.equal(readFileSync(file('accounts', 'carol'), 'utf8'), before);
});

t.test('setPassword changes only that account, fires user-password-changed, and refuses a missing one', async (t) => {
  const { accounts, events } = setup(t);
  await accounts.create('dave', 'old-password');
  await accounts.create('erin', 'old-password');
  t.equal(await accounts.setPassword('dave', 'new-password'), true);
  t.equal(await accounts.testPassword('dave', 'new-password'), true);
  t.equal(await accounts.testPassword('dave', 'old-password'), false);
  t.equal(await accounts.testPassword('erin', 'old-password'), true);
  t.same(events, [['user-password-changed', { username: 'dave', host: HOST }]]);
  t.equal(await accounts.setPassword('nobody', 'x-password'), false);
});

t.test('delete removes the record, fires user-deleted, and purges the user from every store', async (t) => {
  const { dataPath, accounts, events, file } = setup(t);
  await accounts.create('frank', 'some-password');
  await accounts.create('grace', 'some-password');
  const host = join(dataPath, 'example%2ecom');
  mkdirSync(join(host, 'roster'), { recursive: true });
  writeFileSync(join(host, 'roster', 'frank.dat'), 'return {\n\t["grace@example.com"] = {\n\t\t["subscription"] = "both";\n\t};\n};\n');
  writeFileSync(join(host, 'roster', 'grace.dat'), 'return {};\n');
  mkdirSync(join(host, 'offline'), { recursive: true });
  writeFileSync(join(host, 'offline', 'frank.list'), 'item({});\n');
  t.equal(await accounts.delete('frank'), true);
  t.same(events, [['user-deleted', { username: 'frank', host: HOST }]]);
  t.notOk(existsSync(file('accounts', 'frank')));
  t.notOk(existsSync(join(host, 'roster', 'frank.dat')));
  t.notOk(existsSync(join(host, 'offline', 'frank.list')));
  t.ok(existsSync(file('accounts', 'grace')), 'other accounts stay');
  t.ok(existsSync(join(host, 'roster', 'grace.dat')));
  t.equal(await accounts.delete('frank'), false);
});

t.test('internal_plain keeps the SASLprep\'d password as Prosody\'s mod_auth_internal_plain', async (t) => {
  const { accounts, file } = setup(t, { authentication: 'internal_plain' });
  t.equal(accounts.provider, 'internal_plain');
  await accounts.create('heidi', 'pass\u00A0word');
  t.same(read(file('accounts', 'heidi')), { password: 'pass word' });
  t.equal(await accounts.testPassword('heidi', 'pass word'), true);
  t.equal(await accounts.testPassword('heidi', 'password'), false);
});

t.test('internal_hashed upgrades a legacy plaintext record on a correct password', async (t) => {
  const { dataPath, accounts, file } = setup(t);
  mkdirSync(join(dataPath, 'example%2ecom', 'accounts'), { recursive: true });
  writeFileSync(file('accounts', 'ivan'), 'return {\n\t["password"] = "legacy-pass";\n};\n');
  t.equal(await accounts.testPassword('ivan', 'wrong'), false);
  t.equal(await accounts.testPassword('ivan', 'legacy-pass'), true);
  t.same(Object.keys(read(file('accounts', 'ivan'))).sort(), ['iteration_count', 'salt', 'server_key', 'stored_key']);
});

t.test('names that are not nodeprep\'d and passwords SASLprep refuses are errors; other providers are refused', async (t) => {
  const { accounts } = setup(t);
  const code = (e: unknown) => (isCantoError(e) ? e.code : String(e));
  await t.rejects(accounts.create('Alice', 'long-password'), { code: 'ERR_ACCOUNT_USERNAME' });
  await t.rejects(accounts.create('a b', 'long-password'), { code: 'ERR_ACCOUNT_USERNAME' });
  await t.rejects(accounts.create('judy', 'bad\u0007password'), { code: 'ERR_ACCOUNT_PASSWORD' });
  t.equal(await accounts.exists('judy'), false, 'nothing written');
  let caught: unknown;
  try {
    setup(t, { authentication: 'ldap' });
  } catch (e) {
    caught = e;
  }
  t.equal(code(caught), 'ERR_AUTH_PROVIDER');
  t.match(String((caught as Error).message), 'authentication = "ldap" on example.com');
  const other: Accounts = setup(t, { password_hash: 'SHA-256' }).accounts;
  t.equal(await other.create('ken', 'long-password'), true);
  t.equal(await other.testPassword('ken', 'long-password'), true);
});
