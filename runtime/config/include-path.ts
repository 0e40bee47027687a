/**
 * Where an `Include "..."` points: one file, or the files a glob in the last path part matches.
 * Paths are relative to the folder of the file doing the Include (Prosody's configmanager).
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

export type IncludeTarget = { kind: 'file'; path: string } | { kind: 'glob'; dir: string; matches: string[] };

/** Prosody's util.paths.glob_to_pattern: `*` is any run of characters, `?` one character. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

/** Throws a plain Error with a message fit for ERR_CONFIG_INCLUDE. */
export function includeTarget(spec: string, includingFile: string): IncludeTarget {
  const base = dirname(includingFile);
  if (!/[*?]/.test(spec)) return { kind: 'file', path: resolve(base, spec) };
  const glob = basename(spec);
  const dirPart = spec.slice(0, spec.length - glob.length);
  if (/[*?]/.test(dirPart)) throw new Error(`wildcards are only supported in the last part of the path: ${spec}`);
  const dir = dirPart === '' ? base : isAbsolute(dirPart) ? resolve(dirPart) : resolve(base, dirPart);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new Error(`cannot open directory ${dir} for ${spec}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const re = globToRegExp(glob);
  const matches = names
    .filter((n) => !n.startsWith('.') && re.test(n))
    // COMPAT: Prosody includes matches in directory order (random); sorted is reproducible.
    .sort()
    .map((n) => join(dir, n))
    // COMPAT: Prosody fails on a matching directory; we skip folders (a broken link still fails).
    .filter((p) => {
      try {
        return !statSync(p).isDirectory();
      } catch {
        return true;
      }
    });
  return { kind: 'glob', dir, matches };
}
