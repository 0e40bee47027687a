import t from 'tap';
import { commandUsage, parseCommandArgs } from '../../ctl/args.js';
import type { CtlCommand } from '../../runtime/module-api.js';

const generate: CtlCommand<never, never> = {
  description: 'Make an invite',
  args: [{ name: 'NAME', description: 'a name', optional: true }],
  flags: {
    reset: { description: 'reset USER', value: 'USER' },
    admin: { description: 'admin' },
    group: { description: 'group', value: 'ID', repeatable: true, alias: '-g' },
  },
  exclusive: [['reset', 'admin', 'group']],
  run: () => 0,
};

t.test('parses host, positionals and flags in any order', async (t) => {
  t.same(parseCommandArgs(generate, ['example.com', '-g', 'a', 'bob', '--group=b']), {
    host: 'example.com',
    args: ['bob'],
    flags: { group: ['a', 'b'] },
  });
  t.same(parseCommandArgs(generate, ['example.com', '--admin']).flags, { admin: true });
  t.same(parseCommandArgs(generate, ['example.com', '--', '--odd']).args, ['--odd']);
});

t.test('takes a token that starts with a dash as an argument, not a flag', async (t) => {
  t.same(parseCommandArgs(generate, ['example.com', '-_nWcDq4yICh_hvjIjGxYovt']).args, ['-_nWcDq4yICh_hvjIjGxYovt']);
  t.same(parseCommandArgs(generate, ['example.com', '-g', 'x']).flags, { group: ['x'] }, 'a declared alias is still a flag');
  t.same(parseCommandArgs(generate, ['example.com', '--', '--starts-with-two']).args, ['--starts-with-two']);
});

t.test('refuses misuse with a message', async (t) => {
  t.throws(() => parseCommandArgs(generate, []), { name: 'UsageError', message: 'missing HOST' });
  t.throws(() => parseCommandArgs(generate, ['h', '--reset']), { message: "option '--reset' needs a value (USER)" });
  t.throws(() => parseCommandArgs(generate, ['h', '--nope']), { message: "unknown option '--nope'" });
  t.throws(() => parseCommandArgs(generate, ['h', 'a', 'b']), { message: "unexpected argument 'b'" });
  t.throws(() => parseCommandArgs(generate, ['h', '--reset', 'u', '--admin']), { message: '--reset and --admin cannot be combined' });
  t.throws(() => parseCommandArgs(generate, ['h', '--admin=yes']), { message: "option '--admin' takes no value" });
});

t.test('builds usage text from the same declaration', async (t) => {
  const text = commandUsage('invites', 'generate', generate);
  t.match(text, /^Usage: ctl mod_invites generate HOST \[NAME\] \[--reset USER\] \[--admin\] \[--group ID\]\.\.\.\n/);
  t.match(text, /-g, --group ID +group \(repeatable\)/);
});
