/**
 * The data folder when the config sets no `data_path`. Prosody's util/startup.lua takes
 * `data_path or CFG_DATADIR or "data"`, where CFG_DATADIR is written into the installed
 * `prosody` / `prosodyctl` scripts by `./configure` (Debian's package: `/var/lib/prosody`).
 * So we read it from the operator's installed Prosody, found on PATH as prosodyctl finds it.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** The head of the script is enough: configure writes the CFG_ lines at the top. */
const HEAD_BYTES = 4096;

function head(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(HEAD_BYTES);
    return buf.toString('latin1', 0, readSync(fd, buf, 0, HEAD_BYTES, 0));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * CFG_DATADIR of the first `prosody` (then `prosodyctl`) on PATH, with `~` replaced by $HOME
 * as Prosody does; undefined when there is none or it sets no absolute CFG_DATADIR.
 */
export function prosodyDataDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = (env.PATH ?? '').split(delimiter).filter((d) => isAbsolute(d));
  for (const name of ['prosody', 'prosodyctl']) {
    for (const dir of dirs) {
      const text = head(join(dir, name));
      if (text === undefined) continue;
      const m = /^\s*CFG_DATADIR\s*=\s*(['"])([^'"\n]+)\1/m.exec(text);
      if (!m) return undefined; // a Prosody without an installed data folder: "data", as Prosody
      let path = m[2]!;
      if (env.HOME) path = path.replace(/^~/, env.HOME);
      return isAbsolute(path) ? path : undefined;
    }
  }
  return undefined;
}
