/**
 * Where Canto is installed. Found by walking up from this file, because the same code runs
 * from runtime/ (tests, through tsx), dist/runtime/ (tsc output) and dist/bundle/ (esbuild).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'modules'))) return dir;
    if (dirname(dir) === dir) return dirname(from);
  }
}

export const PROJECT_ROOT = findRoot(dirname(here));
/** True when running compiled JavaScript from dist/, false when running the TypeScript sources. */
export const RUNNING_COMPILED = here.includes(`${sep}dist${sep}`);

let version: string | undefined;

/** Canto's version, from its package.json (read once, when first asked). */
export function cantoVersion(): string {
  version ??= String((JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: unknown }).version ?? 'unknown');
  return version;
}
