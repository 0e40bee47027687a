/**
 * The multi-node scenario, run on PostgreSQL (test/e2e/sql-nodes.test.ts) and on one SQLite file
 * (test/e2e/sql-nodes-sqlite.test.ts). Several Canto servers and ctl on one database: a key
 * deleted by ctl is refused by every node at its next request, invites minted on all nodes at
 * once are all stored, a single-use invite used on two nodes at once is used exactly once (also
 * when many uses of it race on both), and nothing a node caches goes stale when a peer writes.
 */
import { join } from 'node:path';
import type { Test } from 'tap';
import { FIXTURES, request, runCtl, startCanto, testConfig } from './canto.js';
import type { CantoServer } from './canto.js';

const HOST = { Host: 'example.com' };

function config(sql: string): string {
  return testConfig(['invites', 'invites_api', 'invite_user'], `storage = "sql"\nsql = ${sql}\nplugin_paths = { ${JSON.stringify(join(FIXTURES, 'plugins'))} }`);
}

const tokenOf = (location: string | string[] | undefined) => /[?=]([A-Za-z0-9_-]{24})$/.exec(String(location))?.[1];

export async function twoNodes(t: Test, sqlFor: (root: string) => string): Promise<void> {
  const root = t.testdir();
  const sql = sqlFor(root);
  const [a, b] = (await Promise.all(['a', 'b'].map((node) => startCanto(t, { config: config(sql), dir: join(root, node) })))) as [CantoServer, CantoServer];
  const mint = (node: CantoServer, key: string) => request(node.url(`/invites_api?key=${key}`), { headers: HOST });

  // ctl (with node A's config) writes while both servers run; node B sees the key at once.
  const created = await runCtl(a.dir, ['mod_invites_api', 'create', 'example.com', 'shared key']);
  t.equal(created.code, 0, created.stderr);
  const key = created.stdout.trim();
  t.equal((await mint(b, key)).status, 201, 'node B accepts a key ctl made through node A');
  t.equal((await mint(a, key)).status, 201, 'and so does node A');

  const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => mint(i % 2 ? a : b, key)));
  t.strictSame(replies.map((r) => r.status), Array(40).fill(201), '40 invites minted on both nodes at once');
  const tokens = replies.map((r) => tokenOf(r.headers.location));
  t.equal(new Set(tokens).size, 40, 'all different');
  const listed = await runCtl(b.dir, ['mod_invites', 'list', 'example.com']);
  t.match(listed.stdout, /^42 pending invites$/m, 'every one of them stored');
  for (const token of tokens) t.ok(listed.stdout.includes(`${token}\t`), `${token} listed`);

  // The same single-use invites used on both nodes at the same moment: one use each.
  const race = tokens.slice(0, 10) as string[];
  const uses = await Promise.all(race.flatMap((token) => [a, b].map((node) => request(node.url(`/invite_user/${token}`), { method: 'POST', headers: HOST }))));
  for (let i = 0; i < race.length; i++) {
    const pair = [uses[2 * i]!, uses[2 * i + 1]!];
    t.strictSame(pair.map((r) => r.status).sort(), [200, 409], `${race[i]} used exactly once`);
  }
  const again = await request(b.url(`/invite_user/${race[0]}`), { method: 'POST', headers: HOST });
  t.equal(again.status, 409, 'a used invite stays used on every node');

  // Many uses of one single-use invite at once, split across the nodes: one wins, none hangs.
  const one = tokens[10]!;
  const many = await Promise.all(Array.from({ length: 40 }, (_, i) => request((i % 2 ? a : b).url(`/invite_user/${one}`), { method: 'POST', headers: HOST })));
  t.equal(many.filter((r) => r.status === 200).length, 1, `${one}: exactly one use of 40 succeeded`);
  // Refused as used up, or (before the used record is archived) as unknown.
  const refused = many.filter((r) => r.status !== 200);
  t.strictSame(refused.map((r) => [r.status, /^token-(used|invalid)$/.test(r.body)]), Array(39).fill([409, true]), 'the 39 others were refused');
  const left = await runCtl(a.dir, ['mod_invites', 'list', 'example.com']);
  t.match(left.stdout, /^31 pending invites$/m, 'the used invites are gone, the others all there');
  t.notOk(left.stdout.includes(`${one}\t`), 'the used invite is not listed');

  // A key deleted by ctl through node B's config is refused by node A at its next request.
  const deleted = await runCtl(b.dir, ['mod_invites_api', 'delete', 'example.com', key.split('/')[0]!]);
  t.equal(deleted.code, 0, deleted.stderr);
  t.equal((await mint(a, key)).status, 403, 'node A refuses the deleted key');
  t.equal((await mint(b, key)).status, 403, 'node B too');
}

