/**
 * lint/module-boundary.js through ESLint with this repository's config: what a module may
 * import and what it may not, with the message each mistake gets.
 */
import { join } from 'node:path';
import { ESLint } from 'eslint';
import t from 'tap';
import { ROOT } from '../helpers/canto.js';

const eslint = new ESLint({ cwd: ROOT });

/** The boundary messages for `code` saved as `file` (relative to the repository). */
async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

t.test('a module may import the API, its own files, node built-ins and packages', async (t) => {
  const code = [
    "import { defineModule } from 'canto/module-api';",
    "import type { ModuleApi } from 'canto/module-api';",
    "import { join } from 'node:path';",
    "import QRCode from 'qrcode';",
    "import { html } from '../html.js';",
    "import { util } from './util.js';",
    "import type { Invite } from '../../mod_invites/types.js';",
    "export type { SiteApp } from '../../mod_register_apps/types.js';",
  ].join('\n');
  t.same(await problems('modules/mod_invites_page/pages/page.ts', code), []);
});

t.test('runtime internals are refused, as values and as types', async (t) => {
  t.same(await problems('modules/mod_x/index.ts', "import { KEEP } from '../../runtime/storage/types.js';\nimport type { HttpRequest } from '../../runtime/http/types.js';"), [
    "canto/module-boundary: '../../runtime/storage/types.js' is outside this module: import what the host offers from canto/module-api",
    "canto/module-boundary: '../../runtime/http/types.js' is outside this module: import what the host offers from canto/module-api",
  ]);
  t.same(await problems('modules/mod_x/index.ts', "const m = await import('../../ctl/args.js');"), [
    "canto/module-boundary: '../../ctl/args.js' is outside this module: import what the host offers from canto/module-api",
  ]);
});

t.test("another module's files are refused; its types.ts only with import type", async (t) => {
  t.same(await problems('modules/mod_x/index.ts', "import { createInvites } from '../mod_invites/invites.js';"), [
    "canto/module-boundary: '../mod_invites/invites.js' belongs to another module: use depends() and `import type` from its types.ts",
  ]);
  t.same(await problems('modules/mod_x/index.ts', "import { type Invite } from '../mod_invites/types.js';"), [
    "canto/module-boundary: '../mod_invites/types.js' may be imported only with `import type` (values come from depends())",
  ]);
});

t.test('only canto/module-api is a public entry (canto/testing in tests)', async (t) => {
  t.same(await problems('plugins/mod_y/index.ts', "import { x } from 'canto/runtime';\nimport { y } from 'canto/testing';"), [
    "canto/module-boundary: 'canto/runtime' is not a public entry: modules import canto/module-api",
    "canto/module-boundary: 'canto/testing' is not a public entry: modules import canto/module-api",
  ]);
  t.same(await problems('plugins/mod_y/index.test.ts', "import { y } from 'canto/testing';"), []);
});

t.test('files outside module folders are not bound by the rule', async (t) => {
  t.same(await problems('runtime/host-extra.ts', "import { KEEP } from './storage/types.js';"), []);
});
