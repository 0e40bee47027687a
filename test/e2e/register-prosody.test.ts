/**
 * An account made by Canto's web registration is one the real Prosody 0.12 logs in with, on
 * Prosody's data files; a contact invite used on the web form subscribes inviter and new user
 * through the running Prosody (test/helpers/register-prosody.ts). Needs Debian's prosody.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { PROSODY } from '../helpers/prosody.js';
import { registrationRoundTrip } from '../helpers/register-prosody.js';

if (!existsSync(PROSODY)) {
  if (process.env.CI) t.fail('prosody is missing: .ci/run should have installed it');
  else t.plan(0, 'the real Prosody is not installed (apt-get install prosody)');
} else {
  t.test('the real Prosody authenticates accounts Canto registered on its files, honours a reset, and subscribes a contact invite', async (t) => {
    const dir = t.testdir();
    await registrationRoundTrip(t, dir, []);
    const host = join(dir, 'data', 'example%2ecom');
    t.notOk(readFileSync(join(host, 'accounts', 'newcomer.dat'), 'utf8').includes('password'), 'no plaintext password stored');
    t.match(readFileSync(join(host, 'roster', 'friend.dat'), 'utf8'), '["inviter@example.com"] = {', 'the roster Prosody saved');
  });
}
