/**
 * Parses a module command's words against its declared args and flags, and builds the usage
 * text from the same declaration (so usage and parsing cannot drift apart).
 */
import { UsageError, type CtlCommand } from '../runtime/module-api.js';

export interface ParsedArgs {
  host: string;
  args: string[];
  flags: Record<string, string | true | string[]>;
}

export function commandUsage(module: string, name: string, command: CtlCommand<never, never>): string {
  const args = command.args ?? [];
  const flags = Object.entries(command.flags ?? {});
  const synopsis = [
    `ctl mod_${module} ${name} HOST`,
    ...args.map((a) => (a.optional ? `[${a.name}]` : a.name)),
    ...flags.map(([f, spec]) => `[--${f}${spec.value ? ` ${spec.value}` : ''}]${spec.repeatable ? '...' : ''}`),
  ].join(' ');
  const lines = [`Usage: ${synopsis}`, '', command.description, '', 'Arguments:', `  ${'HOST'.padEnd(24)} a VirtualHost from the config`];
  for (const a of args) lines.push(`  ${a.name.padEnd(24)} ${a.description}${a.optional ? ' (optional)' : ''}`);
  if (flags.length) {
    lines.push('', 'Options:');
    for (const [f, spec] of flags) {
      const label = `${spec.alias ? `${spec.alias}, ` : ''}--${f}${spec.value ? ` ${spec.value}` : ''}`;
      lines.push(`  ${label.padEnd(24)} ${spec.description}${spec.repeatable ? ' (repeatable)' : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function parseCommandArgs(command: CtlCommand<never, never>, words: readonly string[]): ParsedArgs {
  const specs = command.flags ?? {};
  const byAlias = new Map(Object.entries(specs).flatMap(([f, s]) => (s.alias ? [[s.alias, f] as const] : [])));
  const positional: string[] = [];
  const flags: Record<string, string | true | string[]> = {};
  let onlyPositional = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    // Tokens and ids are base64url and may start with '-': a single-dash word is a flag only when
    // it is a declared alias (`-g`); anything else is an argument. (`--` still ends the flags.)
    const isAlias = byAlias.has(word.split('=')[0]!);
    if (onlyPositional || !word.startsWith('-') || word === '-' || (!word.startsWith('--') && !isAlias)) {
      positional.push(word);
      continue;
    }
    if (word === '--') {
      onlyPositional = true;
      continue;
    }
    const eq = word.indexOf('=');
    const rawName = eq > 0 ? word.slice(0, eq) : word;
    const name = byAlias.get(rawName) ?? (rawName.startsWith('--') ? rawName.slice(2) : undefined);
    const spec = name === undefined ? undefined : specs[name];
    if (!spec || name === undefined) throw new UsageError(`unknown option '${rawName}'`);
    let value: string | true = true;
    if (spec.value) {
      if (eq > 0) value = word.slice(eq + 1);
      else if (i + 1 < words.length) value = words[++i]!;
      else throw new UsageError(`option '--${name}' needs a value (${spec.value})`);
    } else if (eq > 0) {
      throw new UsageError(`option '--${name}' takes no value`);
    }
    if (spec.repeatable) {
      const list = (flags[name] as string[] | undefined) ?? [];
      list.push(String(value));
      flags[name] = list;
    } else if (name in flags) {
      throw new UsageError(`option '--${name}' given twice`);
    } else {
      flags[name] = value;
    }
  }
  const [host, ...rest] = positional;
  if (host === undefined || host === '') throw new UsageError('missing HOST');
  const declared = command.args ?? [];
  declared.forEach((a, i) => {
    if (!a.optional && rest[i] === undefined) throw new UsageError(`missing ${a.name}`);
  });
  if (rest.length > declared.length) throw new UsageError(`unexpected argument '${rest[declared.length]}'`);
  for (const group of command.exclusive ?? []) {
    const given = group.filter((f) => f in flags);
    if (given.length > 1) throw new UsageError(`${given.map((f) => `--${f}`).join(' and ')} cannot be combined`);
  }
  return { host, args: rest, flags };
}
