import t from 'tap';
import { escapeHtml, html, safeUrl } from '../../modules/mod_invites_page/html.js';
import { renderUrlTemplate, urlEncode } from '../../modules/mod_invites_page/url-template.js';
import { detectPlatform } from '../../modules/mod_invites_page/platform.js';
import { contentSecurityPolicy, linkHeader, originsOf } from '../../modules/mod_invites_page/headers.js';
import { invitePage, inviteKind } from '../../modules/mod_invites_page/pages/invite-page.js';
import { errorPage } from '../../modules/mod_invites_page/pages/error-page.js';
import { setupPage } from '../../modules/mod_invites_page/pages/setup-page.js';
import { registrationUrl, toAppView } from '../../modules/mod_invites_page/app-views.js';
import { qrSvg } from '../../modules/mod_invites_page/qr.js';
import type { ValidatedInvite } from '../../modules/mod_invites/types.js';
import { normaliseApp } from '../../modules/mod_register_apps/apps.js';
import { BUILT_IN_APPS } from '../../modules/mod_register_apps/catalogue.js';

const TOKEN = 'jCQROWE46hmwMQXzg82unSbs';
const account: ValidatedInvite = {
  token: TOKEN,
  type: 'register',
  uri: `xmpp:example.com?register;preauth=${TOKEN}`,
  reusable: false,
  created_at: 1795348416,
  expires: 1795953216,
  uses: 0,
};
const site = { siteName: 'example.com', host: 'example.com', basePath: '/invite' };
const apps = BUILT_IN_APPS.map((spec) => normaliseApp(spec, 'register_apps', '/register_apps'));
const view = (app = apps[0]!, invite = account) => toAppView(app, { invite, basePath: '/invite', registrationTemplate: undefined });

t.test('escapeHtml escapes the five XML specials', async (t) => {
  t.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

t.test('the html tag escapes values, joins arrays and keeps nested html', async (t) => {
  const name = '<script>alert(1)</script>';
  t.equal(html`<p title="${name}">${name}</p>`.value, '<p title="&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;alert(1)&lt;/script&gt;</p>');
  t.equal(html`<ul>${['a', '<b>'].map((x) => html`<li>${x}</li>`)}</ul>`.value, '<ul><li>a</li><li>&lt;b&gt;</li></ul>');
  t.equal(html`${undefined}${null}${false}${0}`.value, '0');
});

t.test('safeUrl lets web, xmpp and same-site links through and nothing else', async (t) => {
  for (const ok of ['https://dino.im/', 'http://x.test/a?b', 'xmpp:example.com?register;preauth=abc', '/register_apps/assets/x.svg', 'register?t=1']) {
    t.equal(safeUrl(ok), ok, ok);
  }
  for (const bad of ['javascript:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,x', 'vbscript:x', '//evil.test/x', 'JAVASCRIPT:x']) {
    t.equal(safeUrl(bad), '#', JSON.stringify(bad));
  }
});

t.test('URL templates substitute and URL-escape as util.interpolation with util.http.urlencode', async (t) => {
  const invite = { token: TOKEN, uri: 'xmpp:example.com?register;preauth=abc' };
  t.equal(renderUrlTemplate('https://example.com/invite?{invite.token}', { invite }), `https://example.com/invite?${TOKEN}`);
  t.equal(renderUrlTemplate('https://{host}/i/{invite.token}/', { host: 'chat.example', invite }), `https://chat.example/i/${TOKEN}/`);
  t.equal(renderUrlTemplate('{a}', { a: "a b/c?d=e&f~g_h.i-j!'()*" }), 'a%20b%2Fc%3Fd%3De%26f~g_h.i-j%21%27%28%29%2A');
  t.equal(renderUrlTemplate('{app.link!}&referrer={invite.uri}', { app: { link: 'https://play.example/?id=x' }, invite }), 'https://play.example/?id=x&referrer=xmpp%3Aexample.com%3Fregister%3Bpreauth%3Dabc');
  t.equal(renderUrlTemplate('x{invite.uri|noscheme}', { invite }), 'xexample.com%3Fregister%3Bpreauth%3Dabc');
  t.equal(renderUrlTemplate('{unknown.thing}/{invite.nope}/{not a placeholder}', { invite }), '{unknown.thing}/{invite.nope}/{not a placeholder}', 'unknown placeholders stay');
  t.equal(urlEncode('ü'), '%C3%BC');
});

t.test('the platform comes from the User-Agent', async (t) => {
  const cases: [string, string | undefined][] = [
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36', 'Android'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148', 'iOS'],
    ['Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X)', 'iOS'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126', 'Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15', 'macOS'],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0', 'Linux'],
    ['curl/8.5.0', undefined],
  ];
  for (const [ua, platform] of cases) t.equal(detectPlatform(ua), platform, ua);
  t.equal(detectPlatform(undefined), undefined);
});

t.test('headers: the CSP allows only this server, the Link header only a clean xmpp: URI', async (t) => {
  t.equal(contentSecurityPolicy(), "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  t.match(contentSecurityPolicy(['https://cdn.example.net']), "img-src 'self' data: https://cdn.example.net;");
  t.same(originsOf(['/local.svg', 'https://a.test/x.png', 'https://a.test/y.png', 'http://b.test:8080/z', 'javascript:x']), ['https://a.test', 'http://b.test:8080']);
  t.equal(linkHeader(account.uri), `<${account.uri}>; rel="alternate"`);
  t.equal(linkHeader('xmpp:a@b?x>; rel=evil'), undefined);
  t.equal(linkHeader('xmpp:a@b\r\nSet-Cookie: x'), undefined);
  t.equal(linkHeader('https://example.com/'), undefined);
});

t.test('each kind of invite has its own wording', async (t) => {
  const render = (invite: ValidatedInvite) => invitePage({ site, invite, platform: undefined, recommended: [], others: [], qrSvg: '<svg></svg>' });
  t.equal(inviteKind(account), 'account');
  t.match(render(account), 'You have been invited to chat on example.com');
  t.match(render(account), '<title>Invite to example.com</title>');

  const bound = { ...account, username: 'bob' };
  t.equal(inviteKind(bound), 'account-for');
  t.match(render(bound), 'This invite creates the account <strong>bob@example.com</strong>');

  const contact = { ...account, type: 'roster' as const, inviter: 'alice', uri: `xmpp:alice@example.com?roster;preauth=${TOKEN};ibr=y` };
  t.equal(inviteKind(contact), 'contact');
  t.match(render(contact), 'You have been invited to chat with alice on example.com');
  t.match(render(contact), '<strong>alice@example.com</strong> will be added to your contacts');

  const reset = { ...account, reset: 'alice', uri: `xmpp:alice@example.com?register;preauth=${TOKEN}` };
  t.equal(inviteKind(reset), 'reset');
  const page = render(reset);
  t.match(page, '<title>Reset your password on example.com</title>');
  t.match(page, 'choose a new password for <strong>alice@example.com</strong>');
  t.notMatch(page, 'You have been invited');
});

t.test('the invite page has the button, the alternate link, the apps and the QR code', async (t) => {
  const android = apps.filter((a) => a.platforms.includes('Android'));
  const others = apps.filter((a) => !a.platforms.includes('Android'));
  const page = invitePage({
    site,
    invite: account,
    platform: 'Android',
    recommended: android.map((a) => view(a)),
    others: others.map((a) => view(a)),
    qrSvg: await qrSvg(account.uri),
  });
  t.match(page, `<a class="button button-primary" id="open-invite" href="${account.uri}">`);
  t.match(page, `<link rel="alternate" href="${account.uri}">`);
  t.match(page, '<link rel="stylesheet" href="/invite/static/invite.css">');
  t.match(page, 'Recommended apps for Android');
  t.match(page, `<summary>Other platforms (${others.length} apps)</summary>`);
  const [before, after] = page.split('<details');
  t.match(before, 'data-app="conversations"');
  t.notMatch(before, 'data-app="dino"', 'other platforms only inside <details>');
  t.match(after, 'data-app="dino"');
  t.match(page, /<div class="qr-code"><svg role="img" aria-label="QR code of this invite"/);
  t.match(page, '<time datetime="2026-11-29T11:53:36.000Z">2026-11-29 11:53 UTC</time>');
  t.notMatch(page, /https?:\/\/(?!play\.google|f-droid|apps\.apple|dino\.im|gajim\.org|monal-im\.org|www\.w3\.org\/2000\/svg)/, 'no other site is linked');
  t.notMatch(page, /<script>|style=/, 'no inline script or style (the CSP forbids them)');
});

t.test('app buttons lead to a store with the invite, the setup page, or web registration', async (t) => {
  const byId = (id: string) => apps.find((a) => a.id === id)!;
  t.equal(view(byId('conversations')).proceedUrl, `https://play.google.com/store/apps/details?id=eu.siacs.conversations&referrer=${encodeURIComponent(account.uri)}`);
  t.equal(view(byId('conversations')).external, true);
  t.equal(view(byId('monal')).proceedUrl, `/invite/setup/monal?${TOKEN}`);
  t.equal(view(byId('dino')).proceedUrl, `/invite/setup/dino?${TOKEN}`, 'no web registration module: the setup page');
  const withRegistration = toAppView(byId('dino'), { invite: account, basePath: '/invite', registrationTemplate: 'register?t={invite.token}&c={app.id}' });
  t.equal(withRegistration.proceedUrl, `/register?t=${TOKEN}&c=dino`);
  t.equal(registrationUrl('https://reg.example/{invite.token}', byId('dino'), account, '/invite'), `https://reg.example/${TOKEN}`);
});

t.test('the setup page walks through installing the app and accepting the invite', async (t) => {
  const monal = view(apps.find((a) => a.id === 'monal'));
  const page = setupPage({ site, invite: account, app: monal, inviteUrl: `/invite?${TOKEN}`, registerUrl: undefined });
  t.match(page, '<h1>Join example.com with Monal</h1>');
  t.match(page, 'Step 1: Install Monal');
  t.match(page, 'href="https://apps.apple.com/app/id317711500" rel="noopener noreferrer">Download on the App Store</a>');
  t.match(page, `href="${account.uri}">Accept the invite with Monal</a>`);
  t.match(page, `<a href="/invite?${TOKEN}">← Choose another app</a>`);

  const beagle = view(apps.find((a) => a.id === 'beagle-im'));
  const manual = setupPage({ site, invite: account, app: beagle, inviteUrl: '/invite?x', registerUrl: '/register?t=x&c=beagle-im' });
  t.match(manual, 'cannot take invites directly');
  t.match(manual, 'href="/register?t=x&amp;c=beagle-im">Create your account</a>');
  t.match(manual, "Launch Beagle IM, and select &#39;Yes&#39;");
});

t.test('a hostile site name and app stay text on every page', async (t) => {
  const evil = '<img src=x onerror=alert(1)>"\'';
  const hostile = { siteName: evil, host: 'example.com', basePath: '/invite' };
  const app = view(normaliseApp({ name: evil, text: evil, link: 'javascript:alert(1)', image: 'javascript:alert(2)', supports_preauth_uri: false, download: { buttons: [{ text: evil, url: 'javascript:alert(3)' }] } }, 'x', '/r'));
  const pages = [
    invitePage({ site: hostile, invite: account, platform: undefined, recommended: [app], others: [], qrSvg: '' }),
    setupPage({ site: hostile, invite: account, app, inviteUrl: '/invite?x', registerUrl: undefined }),
    errorPage(hostile, 'unknown').body,
    errorPage(hostile, 'expired').body,
  ];
  for (const page of pages) {
    t.notMatch(page, '<img src=x', 'no injected tag');
    t.notMatch(page, 'javascript:', 'no script URL');
    t.match(page, '&lt;img src=x onerror=alert(1)&gt;&quot;&#39;');
  }
});

t.test('error pages have their status and echo nothing from the request', async (t) => {
  t.equal(errorPage(site, 'unknown').status, 404);
  t.equal(errorPage(site, 'expired').status, 410);
  t.equal(errorPage(site, 'unknown-app').status, 404);
  t.match(errorPage(site, 'expired').body, '<h1>Invite expired</h1>');
  t.match(errorPage(site, 'unknown').body, '<h1>Invite not found</h1>');
});
