/**
 * The whole path a person takes, in a real headless Chromium: an invite made through the API,
 * its Location opened on a phone and on a desktop, the page read, the QR code scanned back
 * from a screenshot, and the same page with JavaScript off. Screenshots go to test/artifacts/.
 *
 * Needs Debian's chromium (`apt-get install -y chromium`; `.ci/run` installs it).
 */
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { ROOT, request, runCtl, startCanto } from '../helpers/canto.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test', 'artifacts');

const MOBILE: BrowserContextOptions = {
  viewport: { width: 360, height: 740 },
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  isMobile: true,
  hasTouch: true,
};
const DESKTOP: BrowserContextOptions = {
  viewport: { width: 1280, height: 800 },
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
};

if (!existsSync(CHROMIUM)) {
  if (process.env.CI) t.fail(`${CHROMIUM} is missing; the CI image must install Debian's chromium package`);
  else t.test('browser test', { skip: `${CHROMIUM} not found; install it with: apt-get update && apt-get install -y chromium` }, () => {});
} else {
  t.test('an invite opened in a real browser', run);
}

function decodeQr(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  // jsqr is CommonJS; its function is the module's `default` export property.
  return jsQR.default(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength), image.width, image.height)?.data;
}

/** The ids of the apps shown before the "Other platforms" details, and inside it. */
async function appLists(page: Page): Promise<{ recommended: string[]; others: string[] }> {
  return page.evaluate(() => {
    const ids = (els: NodeListOf<Element>) => [...els].map((el) => el.getAttribute('data-app') ?? '');
    return {
      recommended: ids(document.querySelectorAll('section.apps > .app-list > .app-card')),
      others: ids(document.querySelectorAll('section.apps details .app-card')),
    };
  });
}

async function run(t: Test): Promise<void> {
  const dir = t.testdir();
  const config = [
    'http_ports = { 0 }',
    'https_ports = { }',
    'http_default_host = "example.com"',
    'http_external_url = "https://example.com/"',
    'data_path = "data"',
    'modules_enabled = { "invites", "invites_api", "invites_page", "register_apps" }',
    'http_paths = { invites_page = "/invite" }',
    'VirtualHost "example.com"',
    '',
  ].join('\n');
  mkdirSync(ARTIFACTS, { recursive: true });

  const server = await startCanto(t, { config, dir });
  const created = await runCtl(dir, ['mod_invites_api', 'create', 'example.com', 'browser test']);
  t.equal(created.code, 0, created.stderr);
  const key = created.stdout.trim();

  const api = await request(server.url(`/invites_api?key=${encodeURIComponent(key)}`));
  t.equal(api.status, 201, 'the API made an invite');
  const location = new URL(String(api.headers.location));
  t.equal(location.origin + location.pathname, 'https://example.com/invite', 'the Location is the invite page');
  const token = location.search.slice(1);
  t.match(token, /^[A-Za-z0-9_-]{24}$/);
  const uri = `xmpp:example.com?register;preauth=${token}`;
  // The config's external URL is example.com; the page is the same on the test server's port.
  const pageUrl = server.url(location.pathname + location.search);
  const origin = new URL(pageUrl).origin;

  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Playwright gives every launch a fresh, temporary user data dir.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => browser.close());

  async function open(options: BrowserContextOptions): Promise<{ page: Page; requests: string[]; problems: string[] }> {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('response', (r) => r.url() !== pageUrl && r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
    page.on('pageerror', (e) => problems.push(e.message));
    const response = await page.goto(pageUrl);
    t.equal(response?.status(), 200);
    return { page, requests, problems };
  }

  function checkSelfContained(t: Test, requests: string[], problems: string[]): void {
    t.same(requests.filter((u) => !u.startsWith(origin)), [], 'every resource comes from Canto itself');
    t.ok(requests.some((u) => u.endsWith('/invite/static/invite.css')), 'the stylesheet loaded');
    t.ok(requests.some((u) => u.includes('/register_apps/assets/logos/')), 'the logos loaded');
    t.same(problems, [], 'no console errors, no CSP violations');
  }

  await t.test('on a 360 px Android phone', async (t) => {
    const { page, requests, problems } = await open(MOBILE);
    t.equal(await page.textContent('h1'), 'You have been invited to chat on example.com');
    t.equal(await page.getAttribute('#open-invite', 'href'), uri, 'the button opens the xmpp: URI');
    t.equal(await page.textContent('#apps-title'), 'Recommended apps for Android');
    const lists = await appLists(page);
    t.same(lists.recommended, ['conversations', 'yaxim']);
    t.same(lists.others.sort(), ['beagle-im', 'dino', 'gajim', 'monal', 'siskin-im']);
    t.equal(await page.isVisible('[data-app="dino"]'), false, 'other platforms start folded');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    t.ok(width <= 360, `no sideways scrolling (page is ${width}px wide)`);
    const button = await page.$eval('#open-invite', (el) => getComputedStyle(el).backgroundColor);
    t.not(button, 'rgba(0, 0, 0, 0)', 'the stylesheet applies');
    checkSelfContained(t, requests, problems);

    const shot = await page.screenshot({ fullPage: true });
    writeFileSync(join(ARTIFACTS, 'invite-page-mobile.png'), shot);
    t.equal(decodeQr(shot), uri, 'the QR code in the screenshot is the invite');
  });

  await t.test('on a 1280 px Linux desktop', async (t) => {
    const { page, requests, problems } = await open(DESKTOP);
    t.equal(await page.title(), 'Invite to example.com');
    t.equal(await page.textContent('#apps-title'), 'Recommended apps for Linux');
    const lists = await appLists(page);
    t.same(lists.recommended, ['dino', 'gajim']);
    t.same(lists.others.sort(), ['beagle-im', 'conversations', 'monal', 'siskin-im', 'yaxim']);
    await page.click('summary');
    t.equal(await page.isVisible('[data-app="monal"]'), true, 'other platforms open with one click');
    checkSelfContained(t, requests, problems);

    const shot = await page.screenshot({ fullPage: true });
    writeFileSync(join(ARTIFACTS, 'invite-page-desktop.png'), shot);
    t.equal(decodeQr(shot), uri, 'the QR code in the screenshot is the invite');

    await page.click('[data-app="monal"] a.button');
    t.equal(await page.textContent('h1'), 'Join example.com with Monal', 'an app leads to its setup page');
    t.equal(await page.getAttribute('#open-invite', 'href'), uri);
    writeFileSync(join(ARTIFACTS, 'invite-setup-desktop.png'), await page.screenshot({ fullPage: true }));
  });

  await t.test('with JavaScript disabled', async (t) => {
    const { page } = await open({ ...MOBILE, javaScriptEnabled: false });
    t.equal(await page.isVisible('#open-invite'), true, 'the button is there');
    t.equal(await page.isVisible('#open-hint'), true, 'the hint is shown without the script');
    t.same((await appLists(page)).recommended, ['conversations', 'yaxim']);
    await page.click('summary');
    t.equal(await page.isVisible('[data-app="dino"]'), true, 'details opens without a script');
    t.equal(await page.isVisible('.qr-code svg'), true, 'the QR code is drawn by the server');
    writeFileSync(join(ARTIFACTS, 'invite-page-nojs.png'), await page.screenshot({ fullPage: true }));
  });

  await t.test('a used-up or made-up link gets a clear page', async (t) => {
    const context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    const response = await page.goto(server.url('/invite?NoSuchInviteNoSuchInvite'));
    t.equal(response?.status(), 404);
    t.equal(await page.textContent('h1'), 'Invite not found');
    writeFileSync(join(ARTIFACTS, 'invite-not-found.png'), await page.screenshot({ fullPage: true }));
  });
}
