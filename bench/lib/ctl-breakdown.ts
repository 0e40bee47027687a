/**
 * Where ctl's start-up goes when it misses its target: each heavy piece ctl may load, imported
 * alone in a fresh node process and timed from inside it (median of several processes). The
 * pieces overlap little, so their sum is roughly what ctl pays on top of `node -e 0`.
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { ROOT } from './canto.js';
import { run } from './processes.js';
import { median } from './stats.js';

const dist = (path: string) => pathToFileURL(join(ROOT, 'dist', path)).href;

const PIECES: Record<string, string> = {
  'config reader (dist/runtime/config)': `await import('${dist('runtime/config/index.js')}')`,
  'module bundle (dist/bundle/modules/mod_invites_api/index.js)': `await import('${dist('bundle/modules/mod_invites_api/index.js')}')`,
  'sodium-native (loaded only by commands that make or check a secret)': `(await import('node:module')).createRequire('${join(ROOT, 'package.json')}')('sodium-native')`,
  'ajv: load, new Ajv, first compile (only while dist/schema-cache/ lacks the validator)':
    `const { default: Ajv } = await import('${pathToFileURL(join(ROOT, 'node_modules', 'ajv', 'dist', 'ajv.js')).href}'); new Ajv.default({ useDefaults: true, allErrors: true, strict: false }).compile({ type: 'object', properties: { a: { type: 'string', default: 'x' } } })`,
};

export async function ctlBreakdown(runs = 5): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, code] of Object.entries(PIECES)) {
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const script = `const t = performance.now(); ${code}; process.stdout.write(String(performance.now() - t));`;
      const r = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
      if (r.code !== 0) throw new Error(`timing ${name} failed:\n${r.stderr}`);
      ms.push(Number(r.stdout));
    }
    out[name] = median(ms);
  }
  return out;
}
