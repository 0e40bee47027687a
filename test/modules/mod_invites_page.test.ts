/**
 * mod_invites_page on an in-process host (canto/testing): the page behind the invite links written by the real
 * Prosody (test/fixtures/prosody-0.12.3), its status codes, headers and escaping, the setup
 * pages, the static files, and the landing_page URL that new invites get.
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { startHost, type TestHost } from '../../runtime/testing/index.js';
import { FIXTURES, copyFixtures } from '../helpers/canto.js';

// Prosody's invites (see test/fixtures/prosody-0.12.3/internal/example%2ecom/invite_token.dat).
const ACCOUNT = 'jCQROWE46hmwMQXzg82unSbs';
const FOR_BOB = '8asXxjF3jpD7Uezf90KM56f2';
const CONTACT = 'pEwipQvv-eBQ-HXgywhqPmI4';
const RESET = 'GPFTXTTPf-dJri1bvRH6LaGl'; // expires 1795434816, a day before the others
/** After the reset invite expired, before the others do. */
const NOW = 1795500000;

const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';
const LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0';

function config(extra = ''): string {
  return [
    'http_ports = { 0 }',
    'https_ports = { }',
    'http_default_host = "example.com"',
    'http_external_url = "https://example.com/"',
    'data_path = "data"',
    'modules_enabled = { "invites", "invites_page", "register_apps" }',
    'http_paths = { invites_page = "/invite" }',
    extra,
    'VirtualHost "example.com"',
    '',
  ].join('\n');
}

async function start(t: Test, extra = ''): Promise<TestHost> {
  const dir = t.testdir();
  copyFixtures(join(FIXTURES, 'prosody-0.12.3', 'internal'), join(dir, 'data'));
  return startHost(t, { config: config(extra), dir, now: NOW });
}

const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function checkPageHeaders(t: Test, headers: Record<string, string | string[] | undefined>): void {
  t.equal(headers['content-type'], 'text/html; charset=utf-8');
  t.equal(headers['content-security-policy'], CSP);
  t.equal(headers['referrer-policy'], 'no-referrer');
  t.equal(headers['x-content-type-options'], 'nosniff');
  t.equal(headers['cache-control'], 'no-store');
}

t.test('the invite page', async (t) => {
  const server = await start(t);

  t.test('an account invite gets its page, with the Link header and the security headers', async (t) => {
    const res = await server.inject({ url: `/invite?${ACCOUNT}`, headers: { 'user-agent': LINUX } });
    t.equal(res.status, 200);
    checkPageHeaders(t, res.headers);
    t.equal(res.headers.link, `<xmpp:example.com?register;preauth=${ACCOUNT}>; rel="alternate"`);
    t.match(res.body, '<h1>You have been invited to chat on example.com</h1>');
    t.match(res.body, `href="xmpp:example.com?register;preauth=${ACCOUNT}">Accept the invite in your app</a>`);
    t.match(res.body, `<link rel="alternate" href="xmpp:example.com?register;preauth=${ACCOUNT}">`);
    t.match(res.body, '<div class="qr-code"><svg');
    t.match(res.body, 'href="/invite/static/invite.css"');
  });

  t.test('the apps for the visitor\'s platform come first, the others behind a details element', async (t) => {
    const android = (await server.inject({ url: `/invite?${ACCOUNT}`, headers: { 'user-agent': ANDROID } })).body;
    t.match(android, 'Recommended apps for Android');
    const [first, rest] = android.split('<details');
    t.match(first, 'data-app="conversations"');
    t.match(first, 'data-app="yaxim"');
    t.notMatch(first, 'data-app="dino"');
    t.match(rest, 'data-app="dino"');
    t.match(first, 'src="/register_apps/assets/logos/conversations.svg"');

    const linux = (await server.inject({ url: `/invite?${ACCOUNT}`, headers: { 'user-agent': LINUX } })).body;
    t.match(linux, 'Recommended apps for Linux');
    const [top] = linux.split('<details');
    t.match(top, 'data-app="dino"');
    t.match(top, 'data-app="gajim"');
    t.notMatch(top, 'data-app="conversations"');

    for (const page of [android, linux]) {
      const ids = [...page.matchAll(/data-app="([^"]+)"/g)].map((m) => m[1]);
      t.same(ids.slice().sort(), ['beagle-im', 'conversations', 'dino', 'gajim', 'monal', 'siskin-im', 'yaxim'], 'each app once');
    }

    const unknown = (await server.inject({ url: `/invite?${ACCOUNT}`, headers: { 'user-agent': 'curl/8' } })).body;
    t.match(unknown, '<h2 id="apps-title">Get an app</h2>');
    t.notMatch(unknown, '<details', 'every app shown when the platform is unknown');
  });

  t.test('contact, username-bound and password-reset invites have their own wording', async (t) => {
    const contact = await server.inject(`/invite?${CONTACT}`);
    t.equal(contact.status, 200);
    t.match(contact.body, 'You have been invited to chat with alice on example.com');
    t.equal(contact.headers.link, `<xmpp:alice@example.com?roster;preauth=${CONTACT};ibr=y>; rel="alternate"`);
    const bob = await server.inject(`/invite?${FOR_BOB}`);
    t.match(bob.body, 'This invite creates the account <strong>bob@example.com</strong>');
  });

  t.test('an expired invite gets 410 and an unknown one 404, with the same headers and no Link', async (t) => {
    const expired = await server.inject(`/invite?${RESET}`);
    t.equal(expired.status, 410);
    checkPageHeaders(t, expired.headers);
    t.equal(expired.headers.link, undefined);
    t.match(expired.body, '<h1>Invite expired</h1>');
    t.notMatch(expired.body, RESET, 'the token is not echoed');

    for (const query of ['?AAAAAAAAAAAAAAAAAAAAAAAA', '', '?', `?${ACCOUNT}&utm=x`, `?${'a'.repeat(65)}`]) {
      const res = await server.inject(`/invite${query}`);
      t.equal(res.status, 404, `404 for "${query}"`);
      checkPageHeaders(t, res.headers);
      t.match(res.body, '<h1>Invite not found</h1>');
    }
  });

  t.test('a hostile token is never reflected', async (t) => {
    for (const query of ['<script>alert(1)</script>', '%3Cscript%3Ealert(1)%3C/script%3E', '"><img src=x onerror=alert(1)>', "'-alert(1)-'"]) {
      const res = await server.inject(`/invite?${query}`);
      t.equal(res.status, 404);
      t.notMatch(res.body, /<script>alert|<img src=x|alert\(1\)/);
      const setup = await server.inject(`/invite/setup/monal?${query}`);
      t.equal(setup.status, 404);
      t.notMatch(setup.body, /<script>alert|<img src=x|alert\(1\)/);
    }
  });

  t.test('HEAD gets the headers of the page without a body', async (t) => {
    const res = await server.inject({ url: `/invite?${ACCOUNT}`, method: 'HEAD' });
    t.equal(res.status, 200);
    checkPageHeaders(t, res.headers);
    t.equal(res.body, '');
  });

  t.test('each app has a setup page; unknown apps and bad tokens get 404 or 410', async (t) => {
    const monal = await server.inject(`/invite/setup/monal?${ACCOUNT}`);
    t.equal(monal.status, 200);
    checkPageHeaders(t, monal.headers);
    t.match(monal.body, '<h1>Join example.com with Monal</h1>');
    t.match(monal.body, `href="xmpp:example.com?register;preauth=${ACCOUNT}">Accept the invite with Monal</a>`);
    t.match(monal.body, `<a href="/invite?${ACCOUNT}">`);

    t.equal((await server.inject(`/invite/setup/no-such-app?${ACCOUNT}`)).status, 404);
    t.equal((await server.inject(`/invite/setup/monal?${RESET}`)).status, 410);
    t.equal((await server.inject('/invite/setup/monal?AAAAAAAAAAAAAAAAAAAAAAAA')).status, 404);
  });

  t.test('static files are cached for a day and revalidated by ETag', async (t) => {
    const css = await server.inject('/invite/static/invite.css');
    t.equal(css.status, 200);
    t.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    t.equal(css.headers['cache-control'], 'public, max-age=86400');
    t.equal(css.headers['x-content-type-options'], 'nosniff');
    t.match(css.headers.etag, /^"[A-Za-z0-9_-]+"$/);
    const again = await server.inject({ url: '/invite/static/invite.css', headers: { 'if-none-match': String(css.headers.etag) } });
    t.equal(again.status, 304);
    t.equal(again.body, '');

    const js = await server.inject('/invite/static/invite.js');
    t.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    t.equal((await server.inject('/invite/static/nope.css')).status, 404);
    t.equal((await server.inject('/invite/static/%2e%2e/index.ts')).status, 404);
    t.equal((await server.inject('/invite/static/../index.ts')).status, 404);

    const logo = await server.inject('/register_apps/assets/logos/dino.svg');
    t.equal(logo.status, 200);
    t.equal(logo.headers['content-type'], 'image/svg+xml');
    t.equal(logo.headers['cache-control'], 'public, max-age=86400');
    t.match(logo.body, /^<svg /);
  });
});

t.test('a hostile site_name is escaped in the title and the text', async (t) => {
  const server = await start(t, 'site_name = "<script>alert(1)</script> & \\"Co\\""');
  for (const path of [`/invite?${ACCOUNT}`, `/invite?${RESET}`, '/invite?nope', `/invite/setup/dino?${ACCOUNT}`]) {
    const res = await server.inject(path);
    t.notMatch(res.body, '<script>alert(1)', path);
    t.match(res.body, '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;', path);
  }
  const page = await server.inject(`/invite?${ACCOUNT}`);
  t.match(page.body, '<title>Invite to &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;</title>');
});

t.test('new invites get a landing_page', async (t) => {
  t.test('by default the module\'s own URL plus ?TOKEN, under http_paths', async (t) => {
    const host = await startHost(t, { config: config() });
    const res = await host.ctl('mod_invites', 'generate', 'example.com');
    t.equal(res.code, 0, res.stderr);
    t.match(res.stdout.trim(), /^https:\/\/example\.com\/invite\?[A-Za-z0-9_-]{24}$/);
  });

  t.test('from the invites_page template, with {host} and {invite.token}', async (t) => {
    const host = await startHost(t, { config: config('invites_page = "https://chat.example.org/join/{invite.token}?on={host}"') });
    const res = await host.ctl('mod_invites', 'generate', 'example.com');
    t.equal(res.code, 0, res.stderr);
    t.match(res.stdout.trim(), /^https:\/\/chat\.example\.org\/join\/[A-Za-z0-9_-]{24}\?on=example\.com$/);
  });

  t.test('with invites_page_external and no template, the host\'s root', async (t) => {
    const host = await startHost(t, { config: config('invites_page_external = true') });
    const res = await host.ctl('mod_invites', 'generate', 'example.com');
    t.equal(res.code, 0, res.stderr);
    t.match(res.stdout.trim(), /^https:\/\/example\.com\/\?[A-Za-z0-9_-]{24}$/);
  });

  t.test('and the link it prints leads to the page on the running host', async (t) => {
    const server = await startHost(t, { config: config() });
    const res = await server.ctl('mod_invites', 'generate', 'example.com');
    t.equal(res.code, 0, res.stderr);
    const landing = new URL(res.stdout.trim());
    const page = await server.inject(landing.pathname + landing.search);
    t.equal(page.status, 200);
    t.match(page.body, 'You have been invited to chat on example.com');
  });
});
