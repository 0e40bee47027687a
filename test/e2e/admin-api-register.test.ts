/**
 * The admin API sees what web registration did, on one running server: an invite made over the
 * API is used through the web form (/register), and the API's invite record then shows the use
 * (uses, used_by, then status used) and GET /users lists the new account with that invite.
 * Every response is checked against the served openapi.json.
 */
import t from 'tap';
import { request, runCtl, startCanto, testConfig, type Reply } from '../helpers/canto.js';
import { OpenApiChecker } from '../helpers/openapi.js';
import { submitForm } from '../helpers/register.js';

interface InviteJson {
  id: string;
  uses: number;
  used_by: string[];
  status: string;
  valid: boolean;
  max_uses?: number;
  kind: string;
}
interface UserJson {
  username: string;
  roles: string[];
  invite?: { id: string; used_at: number; kind: string; source?: string };
}

t.test('an invite made over the admin API and used on the web form shows its uses, and the account is in GET /users', async (t) => {
  const modules = ['invites', 'invites_api', 'http_admin_api', 'invites_page', 'register_apps', 'invites_register_web'];
  const server = await startCanto(t, { config: testConfig(modules, 'http_paths = { invites_page = "/invite" }') });
  const admin = (await runCtl(server.dir, ['mod_invites_api', 'create', 'example.com', 'portal', '--scope', 'admin'])).stdout.trim();
  const checker = new OpenApiChecker(JSON.parse((await request(server.url('/admin_api/openapi.json'))).body), '/admin_api');
  const call = async (method: string, path: string, body?: unknown): Promise<Reply> => {
    const reply = await request(server.url(`/admin_api${path}`), {
      method,
      headers: { Authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    t.same(checker.problems(method, `/admin_api${path}`, reply.status, reply.headers['content-type'] as string | undefined, reply.body), [], `${method} ${path} ${reply.status} matches openapi.json`);
    return reply;
  };

  const made = await call('POST', '/invites/account', { max_uses: 2, note: 'for the team' });
  t.equal(made.status, 200);
  const invite = JSON.parse(made.body) as InviteJson;
  t.match(invite, { uses: 0, used_by: [], status: 'pending', valid: true, max_uses: 2, kind: 'account' });

  const first = await submitForm(server, invite.id, { user: 'Newcomer', password: 'long-enough-pw' });
  t.equal(first.status, 200);
  t.match(first.body, 'newcomer@example.com');
  const afterOne = JSON.parse((await call('GET', `/invites/${invite.id}`)).body) as InviteJson;
  t.match(afterOne, { id: invite.id, uses: 1, used_by: ['newcomer'], status: 'pending', valid: true }, 'one use, still valid');

  const second = await submitForm(server, invite.id, { user: 'second', password: 'long-enough-pw' });
  t.equal(second.status, 200);
  const afterTwo = JSON.parse((await call('GET', `/invites/${invite.id}`)).body) as InviteJson;
  t.match(afterTwo, { uses: 2, used_by: ['newcomer', 'second'], status: 'used', valid: false }, 'used up at max_uses');
  const pending = JSON.parse((await call('GET', '/invites')).body) as InviteJson[];
  t.notOk(pending.some((i) => i.id === invite.id), 'no longer among the pending invites');
  t.equal((await submitForm(server, invite.id, { user: 'third', password: 'long-enough-pw' })).status, 303, 'and the form refuses it');

  const users = JSON.parse((await call('GET', '/users')).body) as UserJson[];
  t.same(users.map((u) => u.username), ['newcomer', 'second']);
  for (const user of users) {
    t.equal(user.invite?.id, invite.id, `${user.username} was made with the invite`);
    // An account invite stays one whatever its use limit, on the invite and on the user.
    t.equal(user.invite?.kind, invite.kind);
    t.ok(Number.isInteger(user.invite?.used_at) && user.invite!.used_at > 1_700_000_000);
    t.match(user.invite?.source, /^api\/token\/[A-Za-z0-9_-]+$/, 'made through an API key');
  }
  const one = JSON.parse((await call('GET', '/users/newcomer')).body) as UserJson;
  t.same(one, users[0]);
});
