/**
 * readConfig: run a Prosody config file (and its Includes) and hand back plain sections.
 * Every problem becomes a CantoError with the file, line and column it comes from.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CantoError, type SourcePosition } from '../errors.js';
import { FileEnv, type ReaderContext } from './config-env.js';
import { Converter, CycleError } from './convert.js';
import { includeTarget } from './include-path.js';
import { createGlobals } from './lua/globals.js';
import { Interpreter } from './lua/interpreter.js';
import { parseChunk } from './lua/parser.js';
import { LuaSyntaxError } from './lua/syntax-error.js';
import { LuaError, fromBytes, luaType, type LuaTable } from './lua/value.js';
import { Sections } from './sections.js';
import type { ConfigDiagnostic, ConfigSection, ConfigValue, ParsedConfig } from './types.js';

export interface ReadConfigOptions {
  /** Where ENV_FOO and os.getenv read; process.env by default. */
  env?: NodeJS.ProcessEnv;
}

// Deeper than any real config nests; stops a file that includes itself.
const MAX_INCLUDE_DEPTH = 20;

export function readConfig(file: string, options: ReadConfigOptions = {}): ParsedConfig {
  const main = resolve(file);
  let text: string;
  try {
    text = readFileSync(main, 'latin1');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CantoError('ERR_CONFIG_NOT_FOUND', [main], { cause: err });
    throw new CantoError('ERR_CONFIG_INVALID', [`Cannot read config file ${main}: ${code ?? String(err)}`], { cause: err });
  }
  const reader = new ConfigReader(options.env ?? process.env);
  reader.run(main, text);
  return reader.result(main);
}

class ConfigReader implements ReaderContext {
  readonly interp = new Interpreter();
  readonly globals: LuaTable;
  readonly sections = new Sections();
  readonly diagnostics: ConfigDiagnostic[] = [];
  readonly files: string[] = [];
  readonly env: NodeJS.ProcessEnv;
  #including: string[] = [];

  constructor(env: NodeJS.ProcessEnv) {
    this.env = env;
    this.globals = createGlobals(this.interp, {
      env,
      print: (line) => process.stderr.write(fromBytes(line) + '\n'),
    });
  }

  /** Parse and run one file; its syntax and runtime errors become CantoErrors. */
  run(file: string, text: string): void {
    this.files.push(file);
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
        text = readFileSync(path, 'latin1');
      } catch (err) {
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
          if (!(err instanceof CycleError)) throw err;
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
