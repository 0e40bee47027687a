/**
 * Web registration in a real headless Chromium: an invite from the API, its Location opened
 * on a 360 px phone and on a desktop, with JavaScript on and off, "Register on the web"
 * followed, the form filled in, and the success page seen. Screenshots go to test/artifacts/.
 */
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContextOptions } from 'playwright-core';
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
  userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
};

if (!existsSync(CHROMIUM)) {
  if (process.env.CI) t.fail(`${CHROMIUM} is missing; the CI image must install Debian's chromium package`);
  else t.test('browser test', { skip: `${CHROMIUM} not found; install it with: apt-get install -y chromium` }, () => {});
} else {
  t.test('an invite becomes an account in a real browser', run);
}

async function run(t: Test): Promise<void> {
  const dir = t.testdir();
  const config = [
    'http_ports = { 0 }',
    'https_ports = { }',
    'http_default_host = "example.com"',
    'http_external_url = "https://example.com/"',
    'data_path = "data"',
    'modules_enabled = { "invites", "invites_api", "invites_page", "register_apps", "invites_register_web" }',
    'http_paths = { invites_page = "/invite" }',
    'VirtualHost "example.com"',
    '',
  ].join('\n');
  mkdirSync(ARTIFACTS, { recursive: true });
  const server = await startCanto(t, { config, dir });
  const key = (await runCtl(dir, ['mod_invites_api', 'create', 'example.com', 'browser'])).stdout.trim();

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => browser.close());

  const cases: Array<[string, BrowserContextOptions]> = [
    ['mobile', MOBILE],
    ['desktop', DESKTOP],
    ['mobile-nojs', { ...MOBILE, javaScriptEnabled: false }],
    ['desktop-nojs', { ...DESKTOP, javaScriptEnabled: false }],
  ];
  for (const [name, options] of cases) {
    await t.test(`${name}: invite page, form, success page`, async (t) => {
      const api = await request(server.url(`/invites_api?key=${encodeURIComponent(key)}`));
      t.equal(api.status, 201);
      const location = new URL(String(api.headers.location));
      const context = await browser.newContext(options);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      await page.goto(server.url(location.pathname + location.search));
      await page.click('#register-web');
      await page.waitForSelector('#user');
      t.match(page.url(), /\/register\?t=/);
      // One mistake first: the form comes back with the message and the name kept.
      const username = `user-${name}`;
      await page.fill('#user', username);
      await page.fill('#password', `my-${username}-pw`);
      await page.click('#submit');
      await page.waitForSelector('#form-message', { timeout: 5000 }).catch(async (e) => {
        writeFileSync(join(ARTIFACTS, `debug-${name}.png`), await page.screenshot({ fullPage: true }));
        writeFileSync(join(ARTIFACTS, `debug-${name}.html`), (await page.content()) + page.url());
        throw e;
      });
      t.match(await page.textContent('#form-message'), 'Password must not include your username');
      t.equal(await page.inputValue('#user'), username);
      t.equal(await page.inputValue('#password'), '', 'the password is not sent back');
      writeFileSync(join(ARTIFACTS, `register-error-${name}.png`), await page.screenshot({ fullPage: true }));
      await page.fill('#password', 'correct horse battery');
      await page.click('#submit');
      await page.waitForSelector('#account-address');
      t.equal((await page.textContent('#account-address'))?.trim(), `${username}@example.com`);
      t.notOk((await page.content()).includes('correct horse battery'), 'the success page does not show the password');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      t.ok(width <= (options.viewport?.width ?? 0), `no horizontal scrolling (${width}px)`);
      writeFileSync(join(ARTIFACTS, `register-success-${name}.png`), await page.screenshot({ fullPage: true }));
      // The form with a message comes with its 400, which Chromium logs; anything else is a problem.
      t.same(problems.filter((p) => !/status of 400/.test(p)), [], 'no other console errors (CSP violations included)');
      t.match(readFileSync(join(dir, 'data', 'example%2ecom', 'accounts', `${username.replaceAll('-', '%2d')}.dat`), 'utf8'), /stored_key/);
      await context.close();
    });
  }
}
