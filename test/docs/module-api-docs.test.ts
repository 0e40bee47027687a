/**
 * The module API's documentation keeps up with the code: every member of `ModuleApi`
 * (runtime/module-api.ts) has JSDoc with an `@example`, and every event the host and the
 * built-in modules fire is in the README's event reference.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/canto.js';

t.test('every ModuleApi member has JSDoc with an example', async (t) => {
  const source = readFileSync(join(ROOT, 'runtime', 'module-api.ts'), 'utf8');
  const start = source.indexOf('export interface ModuleApi<');
  const body = source.slice(start, source.indexOf('\n}\n', start));
  const undocumented: string[] = [];
  const members: string[] = [];
  let doc = '';
  let previous = '';
  for (const line of body.split('\n').slice(1)) {
    if (/^ {2}(\/\*\*| \*| \*\/)/.test(line)) {
      doc += line;
      continue;
    }
    const member = /^ {2}(?:readonly )?([A-Za-z]+)[<(:?]/.exec(line)?.[1];
    if (!member) continue;
    // An overload shares the JSDoc of the signature before it.
    if (member !== previous) {
      members.push(member);
      if (!doc.includes('@example')) undocumented.push(member);
    }
    previous = member;
    doc = '';
  }
  t.ok(members.length >= 30, `${members.length} members read`);
  t.same(undocumented, []);
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'testing' ? [] : sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

t.test("every event the host and built-in modules fire is in the README's reference", async (t) => {
  const fired = new Set<string>();
  for (const file of [...sourceFiles(join(ROOT, 'runtime')), ...sourceFiles(join(ROOT, 'modules'))]) {
    const code = readFileSync(file, 'utf8').replace(/^\s*\*.*$/gm, ''); // not the examples in JSDoc
    // `notify` is mod_invites' hook for the events it fires once a change is stored.
    for (const m of code.matchAll(/(?:fireEvent(?:Async)?|events\.fire(?:Async)?|notify)\(\s*[`'"]([^`'"$]+)(\$\{kind\})?/g)) fired.add(m[1]! + (m[2] ? '<kind>' : ''));
  }
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Events'), readme.indexOf('\n## ', readme.indexOf('### Events')));
  const documented = new Set([...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!));
  t.ok(fired.has('invite-created') && fired.has('invite-used') && fired.has('item-added/<kind>'), 'the scan finds events');
  t.same([...fired].filter((e) => !documented.has(e)).sort(), [], 'fired but not documented');
  t.same([...documented].filter((e) => !fired.has(e)).sort(), [], 'documented but never fired');
});
