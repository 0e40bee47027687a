import t from 'tap';
import { hashSecret, newKey, parseKey, secretMatches } from '../../../modules/mod_invites_api/keys.js';

t.test('a new key has a 12-character id and a 36-character secret, base64url', async (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const { id, secret } = newKey();
    t.match(id, /^[A-Za-z0-9_-]{12}$/);
    t.match(secret, /^[A-Za-z0-9_-]{36}$/);
    seen.add(id);
  }
  t.equal(seen.size, 100, 'ids do not repeat');
});

t.test('the stored hash is 64 hex digits and does not contain the secret', async (t) => {
  const { secret } = newKey();
  const hash = hashSecret(secret);
  t.match(hash, /^[0-9a-f]{64}$/);
  t.equal(hashSecret(secret), hash, 'the same secret hashes the same');
  t.not(hashSecret(secret + 'x'), hash);
});

t.test('ID/SECRET splits at the first slash, as Prosody does', async (t) => {
  t.same(parseKey('32Cmdy9Xpv_d/p2ak7pmJn3XnreELSmyQeEo4ulhgKyITksVn'), { id: '32Cmdy9Xpv_d', secret: 'p2ak7pmJn3XnreELSmyQeEo4ulhgKyITksVn' });
  t.same(parseKey('a/b/c'), { id: 'a', secret: 'b/c' });
  for (const text of ['', 'nokey', '/secret', 'id/', 'x'.repeat(600) + '/y']) t.equal(parseKey(text), undefined, text.slice(0, 20));
});

t.test('a hashed key opens only with its own secret', async (t) => {
  const { id, secret } = newKey();
  const record = { id, token_hash: hashSecret(secret) };
  t.ok(secretMatches(record, secret));
  t.notOk(secretMatches(record, secret.slice(0, -1)));
  t.notOk(secretMatches(record, newKey().secret));
});

t.test("a key in Prosody's plaintext form still opens with its secret", async (t) => {
  const record = { id: '32Cmdy9Xpv_d', token: 'p2ak7pmJn3XnreELSmyQeEo4ulhgKyITksVn' };
  t.ok(secretMatches(record, 'p2ak7pmJn3XnreELSmyQeEo4ulhgKyITksVn'));
  t.notOk(secretMatches(record, 'p2ak7pmJn3XnreELSmyQeEo4ulhgKyITksVN'));
});

t.test('a record with neither a hash nor a token opens with nothing', async (t) => {
  t.notOk(secretMatches({ id: 'x' }, ''));
  t.notOk(secretMatches({ id: 'x', token_hash: 'not-hex' }, 'anything'));
});
