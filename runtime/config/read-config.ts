/**
 * readConfig: run a Prosody config file (and its Includes) and hand back plain sections.
 * Every problem becomes a CantoError with the file, line and column it comes from.
 */
import { closeSync, fstatSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { CantoError, type SourcePosition } from '../errors.js';
import { FileEnv, Sections, type ReaderContext } from './config-env.js';
import { Converter, ValueShapeError } from './convert.js';
import { Interpreter, StepBudgetError } from './lua/interpreter.js';
import { LuaSyntaxError } from './lua/lexer.js';
import { parseChunk } from './lua/parser.js';
import { createGlobals } from './lua/stdlib.js';
import { LuaError, fromBytes, luaType, type LuaTable } from './lua/value.js';
import type { ConfigDiagnostic, ConfigSection, ConfigValue, ParsedConfig } from './types.js';

export interface ReadConfigOptions {
  /** Where ENV_FOO and os.getenv read; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Statements and loop turns the config may take (STEP_BUDGET by default). */
  stepBudget?: number;
}

// Deeper than any real config nests; stops a file that includes itself.
const MAX_INCLUDE_DEPTH = 20;
/**
 * Bytes of config, the main file and its Includes together. Real configs are kilobytes; a
 * 110 MB one took 40 s and 3.9 GB to read. COMPAT: Prosody reads any size.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * A config file's text, refused once the files read so far and this one pass `budget` bytes,
 * at the line and column where they do. Only up to the limit is ever read.
 */
function readLimited(path: string, budget: number): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const want = Math.min(size, budget) + 1;
    const buf = Buffer.alloc(want);
    let got = 0;
    for (let n; got < want && (n = readSync(fd, buf, got, want - got, null)) > 0; ) got += n;
    if (got <= budget) return buf.toString('latin1', 0, got);
    const before = buf.toString('latin1', 0, budget);
    const lines = before.split('\n');
    const position = { file: path, line: lines.length, column: lines.at(-1)!.length + 1 };
    throw new CantoError('ERR_CONFIG_INVALID', [`the config (with its Includes) is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB; it reaches the limit here`], { position });
  } finally {
    closeSync(fd);
  }
}

export function readConfig(file: string, options: ReadConfigOptions = {}): ParsedConfig {
  const main = resolve(file);
  let text: string;
  try {
    text = readLimited(main, MAX_CONFIG_BYTES);
  } catch (err) {
    if (err instanceof CantoError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CantoError('ERR_CONFIG_NOT_FOUND', [main], { cause: err });
    throw new CantoError('ERR_CONFIG_INVALID', [`Cannot read config file ${main}: ${code ?? String(err)}`], { cause: err });
  }
  const reader = new ConfigReader(options.env ?? process.env, options.stepBudget);
  reader.run(main, text);
  return reader.result(main);
}

class ConfigReader implements ReaderContext {
  readonly interp: Interpreter;
  readonly globals: LuaTable;
  readonly sections = new Sections();
  readonly diagnostics: ConfigDiagnostic[] = [];
  readonly files: string[] = [];
  readonly env: NodeJS.ProcessEnv;
  #including: string[] = [];
  /** Bytes of config read so far, Includes too. */
  #bytes = 0;

  constructor(env: NodeJS.ProcessEnv, stepBudget?: number) {
    this.interp = new Interpreter(stepBudget);
    this.env = env;
    this.globals = createGlobals(this.interp, {
      env,
      // Lua strings are bytes; write them as such.
      print: (line) => process.stderr.write(Buffer.from(line + '\n', 'latin1')),
    });
  }

  /** Parse and run one file; its syntax and runtime errors become CantoErrors. */
  run(file: string, text: string): void {
    this.files.push(file);
    this.#bytes += text.length;
    let block;
    try {
      block = parseChunk(text, file);
    } catch (err) {
      if (err instanceof LuaSyntaxError) throw new CantoError('ERR_CONFIG_PARSE', [fromBytes(err.message)], { position: err.position });
      throw err;
    }
    this.#including.push(file);
    try {
      this.interp.runChunk(block, new FileEnv(this, file));
    } catch (err) {
      if (err instanceof LuaError) {
        const position = err.position ?? { file, line: 0, column: 0 };
        throw new CantoError('ERR_CONFIG_RUNTIME', [fromBytes(err.message)], { position, cause: err });
      }
      if (err instanceof StepBudgetError) throw new CantoError('ERR_CONFIG_RUNTIME', [err.message], { position: err.position, cause: err });
      throw err;
    } finally {
      this.#including.pop();
    }
  }

  include(spec: string, from: string, at: SourcePosition): void {
    let target;
    try {
      target = includeTarget(spec, from);
    } catch (err) {
      throw new CantoError('ERR_CONFIG_INCLUDE', [(err as Error).message], { position: at });
    }
    const paths = target.kind === 'file' ? [target.path] : target.matches;
    for (const path of paths) {
      // COMPAT: Prosody recurses until the Lua stack overflows; we name the loop.
      if (this.#including.includes(path) || this.#including.length >= MAX_INCLUDE_DEPTH) {
        throw new CantoError('ERR_CONFIG_INCLUDE', [`Include loop: ${[...this.#including, path].join(' -> ')}`], { position: at });
      }
      let text: string;
      try {
        text = readLimited(path, MAX_CONFIG_BYTES - this.#bytes);
      } catch (err) {
        if (err instanceof CantoError) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : String(code ?? err);
        throw new CantoError('ERR_CONFIG_INCLUDE', [`Error loading included ${path}: ${why}`], { position: at, cause: err });
      }
      this.run(path, text);
    }
  }

  result(main: string): ParsedConfig {
    const converter = new Converter();
    const sections = new Map<string, ConfigSection>();
    for (const s of this.sections.all.values()) {
      const options = new Map<string, ConfigValue>();
      for (const [key, value] of s.options) {
        const position = s.positions.get(key);
        converter.onSkippedKey = (k) =>
          this.diagnostics.push({
            level: 'warning',
            message: `Option '${key}': ignoring a ${luaType(k)} used as a table key`,
            ...(position ? { position } : {}),
          });
        try {
          options.set(key, converter.convert(value)!);
        } catch (err) {
          if (!(err instanceof ValueShapeError)) throw err;
          throw new CantoError('ERR_CONFIG_INVALID', [`Option '${key}' ${err.message}`], position ? { position } : {});
        }
      }
      const module = options.get('component_module');
      const kind = s.name === '*' ? 'global' : typeof module === 'string' ? 'component' : 'host';
      sections.set(s.name, {
        name: s.name,
        kind,
        ...(kind === 'component' ? { componentModule: module as string } : {}),
        ...(s.position ? { position: s.position } : {}),
        options,
        positions: new Map(s.positions),
      });
    }
    return { file: main, files: this.files, sections, diagnostics: this.diagnostics };
  }
}

// ---- Include targets ----
// Where an `Include "..."` points: one file, or the files a glob in the last path part matches.
// Paths are relative to the folder of the file doing the Include (Prosody's configmanager).

type IncludeTarget = { kind: 'file'; path: string } | { kind: 'glob'; dir: string; matches: string[] };

/** Prosody's util.paths.glob_to_pattern: `*` is any run of characters, `?` one character. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

/** Throws a plain Error with a message fit for ERR_CONFIG_INCLUDE. */
function includeTarget(spec: string, includingFile: string): IncludeTarget {
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
