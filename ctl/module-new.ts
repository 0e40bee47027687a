/**
 * `ctl module new NAME [--dir DIR]`: a new module folder, `DIR/mod_NAME/` (DIR defaults to
 * `plugins`), made from templates/mod_sample: entry, types, option schema, one route, one ctl
 * command, a tap test on canto/testing and a README. The template is a real module that the
 * project type-checks and tests, so what it writes loads and passes its own test as written.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { PROJECT_ROOT } from '../runtime/project.js';
import type { CtlIo } from './run.js';

export const MODULE_NEW_USAGE = `Usage: ctl module new NAME [--dir DIR]

Writes DIR/mod_NAME/ (DIR defaults to ./plugins): index.ts, types.ts, options.ts, README.md and
test/NAME.test.ts. NAME is lower-case letters, digits and _, starting with a letter.
`;

const TEMPLATE = join(PROJECT_ROOT, 'templates', 'mod_sample');

export function newModuleCommand(args: string[], cwd: string, io: CtlIo): number {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(MODULE_NEW_USAGE.trimEnd());
    return 0;
  }
  if (sub !== 'new') return io.usage(sub === undefined ? 'missing module command' : `unknown module command '${sub}'`, MODULE_NEW_USAGE);
  let dir = 'plugins';
  const names: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (word === '--dir') {
      if (rest[i + 1] === undefined) io.usage("option '--dir' needs a value (DIR)", MODULE_NEW_USAGE);
      dir = rest[++i]!;
    } else if (word.startsWith('--dir=')) dir = word.slice(6);
    else if (word === '--help' || word === '-h') {
      io.out(MODULE_NEW_USAGE.trimEnd());
      return 0;
    } else if (word.startsWith('-')) io.usage(`unknown option '${word}'`, MODULE_NEW_USAGE);
    else names.push(word);
  }
  if (names.length !== 1) io.usage(names.length ? `unexpected argument '${names[1]}'` : 'missing NAME', MODULE_NEW_USAGE);
  const name = names[0]!.replace(/^mod_/, '');
  if (!/^[a-z][a-z0-9_]*$/.test(name)) io.usage(`invalid module name '${names[0]}': use lower-case letters, digits and _, starting with a letter`, MODULE_NEW_USAGE);

  const target = resolve(cwd, dir, `mod_${name}`);
  if (existsSync(target)) {
    io.err(`Error: ${target} already exists`);
    return 1;
  }
  const files = templateFiles(TEMPLATE).map((path) => ({
    path: path.replace(/sample/g, name),
    text: rename(readFileSync(join(TEMPLATE, path), 'utf8'), name),
  }));
  // Written beside the target and renamed into place: a failure leaves no half-made module.
  const staging = `${target}.new-${process.pid}`;
  try {
    for (const file of files) {
      mkdirSync(dirname(join(staging, file.path)), { recursive: true });
      writeFileSync(join(staging, file.path), file.text);
    }
    renameSync(staging, target);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  const shown = relative(cwd, target) || target;
  for (const file of files) io.out(`Created ${join(shown, file.path)}`);
  io.out(`Enable it with plugin_paths = { "${relative(cwd, dirname(target)) || '.'}" } and modules_enabled = { "${name}" };`);
  io.out(`test it with: npx tap ${join(shown, 'test')}`);
  return 0;
}

/** Every file under `dir`, as paths relative to it, in a stable order. */
function templateFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix))
    .sort()
    .flatMap((entry) => {
      const rel = prefix ? join(prefix, entry) : entry;
      return statSync(join(dir, rel)).isDirectory() ? templateFiles(dir, rel) : [rel];
    });
}

/** The template's `sample` / `Sample` become the new name (`my_thing` / `MyThing`). */
function rename(text: string, name: string): string {
  const pascal = name.replace(/(^|_)([a-z0-9])/g, (_, _sep: string, c: string) => c.toUpperCase());
  return text.replace(/Sample/g, pascal).replace(/sample/g, name);
}
