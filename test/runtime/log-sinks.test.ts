/**
 * Log sinks that fail (runtime/log-sinks.ts, runtime/logging.ts, in-process): a file removed or
 * made unwritable at run time, reported once on stderr, retried by reopenLogs(); the `log`
 * option's rules as Prosody's loggingmanager applies them.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { getLogger, setLogSinks } from '../../runtime/log.js';
import { configureLogging, logOptionProblems, reopenLogs } from '../../runtime/logging.js';

/** Run fn with process.stderr captured; returns what it got. */
function stderrOf(fn: () => void): string {
  const out: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Buffer) => out.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    fn();
  } finally {
    process.stderr.write = write;
  }
  return out.join('');
}

t.afterEach(() => configureLogging(undefined, '/', {}));
t.teardown(() => setLogSinks([{ min: 'info', write: (line) => process.stderr.write(line + '\n') }]));

t.test('a log file removed at run time is started again when logs are reopened', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'logs', 'canto.log');
  configureLogging('logs/canto.log', dir, {});
  const log = getLogger('test');
  log.info('first');
  t.match(readFileSync(file, 'utf8'), / test\s*\tinfo\tfirst\n$/);
  rmSync(file);
  t.equal(stderrOf(() => log.info('into the removed file')), '', 'no error: the open file still takes it');
  reopenLogs();
  log.info('after reopen');
  t.match(readFileSync(file, 'utf8'), /^\w{3} \d\d \d\d:\d\d:\d\d test\s*\tinfo\tafter reopen\n$/);
});

t.test('a log file made unwritable is reported once, stays off, and comes back on reopen', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'canto.log');
  configureLogging('canto.log', dir, {});
  const log = getLogger('test');
  log.info('one');
  // As root, permissions do not stop a write; a folder in the file's place does.
  rmSync(file);
  mkdirSync(file);
  const reported = stderrOf(() => {
    reopenLogs();
    log.info('lost');
    log.error('lost too');
  });
  t.match(reported, new RegExp(`^\\w{3} \\d\\d \\d\\d:\\d\\d:\\d\\d general\\s*\\terror\\tCannot write to log file ${file}: EISDIR: illegal operation on a directory, open '${file}'; it stays off until logs are reopened \\(SIGHUP\\)\\n$`));
  t.equal(stderrOf(() => log.info('still lost')), '', 'reported once');
  rmdirSync(file);
  reopenLogs();
  log.info('back');
  t.match(readFileSync(file, 'utf8'), /\tinfo\tback\n$/);
});

t.test('a full disk is reported once and the caller goes on', async (t) => {
  configureLogging('/dev/full', '/', {});
  const log = getLogger('test');
  const reported = stderrOf(() => {
    for (let i = 0; i < 3; i++) log.info('line %d', i);
  });
  t.match(reported, /\terror\tCannot write to log file \/dev\/full: ENOSPC: no space left on device, write; it stays off until logs are reopened \(SIGHUP\)\n$/);
  t.equal(reported.split('\n').length, 2, 'one line');
});

t.test("Debian's mixed log table keeps every sink, the file sinks included", async (t) => {
  const dir = t.testdir();
  // As converted from Debian's prosody.cfg.lua (test/fixtures/config/debian.expected.json), files moved here.
  const option = { '1': { levels: ['error'], to: 'nowhere' }, error: 'prosody.err', info: 'prosody.log' };
  t.same(logOptionProblems(option), []);
  configureLogging(option, dir, {});
  getLogger('test').info('info line');
  getLogger('test').error('error line');
  t.match(readFileSync(join(dir, 'prosody.log'), 'utf8'), /\tinfo\tinfo line\n.*\terror\terror line\n$/);
  t.match(readFileSync(join(dir, 'prosody.err'), 'utf8'), /^[^\n]*\terror\terror line\n$/);
});

t.test('the log option is checked as Prosody reads it; a wrong one changes nothing', async (t) => {
  const cases: [unknown, string][] = [
    ['*syslg', "option 'log' names sink type 'syslg'; sink types are file, console, stdout, syslog, nowhere"],
    [{ verbose: 'x.log' }, 'option \'log\' names level "verbose"; levels are debug, info, warn, error'],
    [[{ to: 'file' }], 'option \'log\': a sink with to = "file" needs a filename'],
    [[{ to: 'console', levels: { min: 'loud' } }], 'option \'log\' names level "loud"; levels are debug, info, warn, error'],
    [[{ levels: ['error'] }], 'option \'log\': a sink table needs \'to\', e.g. to = "file"'],
    [['x.log'], 'option \'log\' has "x.log" in its list; a file goes in a sink table: { to = "file", filename = "x.log" }'],
    [42, 'option \'log\' must be a file name, "*console", "*syslog" or a table of sinks, not a number'],
  ];
  for (const [option, message] of cases) t.same(logOptionProblems(option), [message], JSON.stringify(option));
  t.same(logOptionProblems('*syslog', { syslog_facility: 'local9' }), [
    'option \'syslog_facility\' is "local9"; facilities are kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0, local1, local2, local3, local4, local5, local6, local7',
  ]);
  t.same(logOptionProblems([{ to: 'console', levels: { min: 'info', max: 'warn' } }, '*stdout', '*nowhere']), []);
  const dir = t.testdir();
  configureLogging('kept.log', dir, {});
  const pos = { file: 'prosody.cfg.lua', line: 4, column: 1 };
  t.throws(() => configureLogging({ verbose: 'x.log' }, dir, { positionOf: () => pos }), { code: 'ERR_CONFIG_INVALID', position: pos });
  getLogger('test').info('still here');
  t.match(readFileSync(join(dir, 'kept.log'), 'utf8'), /still here/, 'the old sinks stay');
  t.notOk(existsSync(join(dir, 'x.log')));
});
