/**
 * Log sinks that fail (runtime/log-sinks.ts, runtime/logging.ts, in-process): a file removed or
 * made unwritable at run time, reported once on stderr, retried by reopenLogs(); the `log`
 * option's rules as Prosody's loggingmanager applies them.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { getLogger, setLogSinks } from '../../runtime/log.js';
import { configureLogging, flushLogs, flushLogsSync, logOptionProblems, reopenLogs } from '../../runtime/logging.js';

/** Run fn with process.stderr captured until the logs are written; returns what it got. */
async function stderrOf(fn: () => void): Promise<string> {
  const out: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Buffer) => out.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    fn();
    await flushLogs();
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
  await flushLogs();
  t.match(readFileSync(file, 'utf8'), / test\s*\tinfo\tfirst\n$/);
  rmSync(file);
  t.equal(await stderrOf(() => log.info('into the removed file')), '', 'no error: the open file still takes it');
  reopenLogs();
  log.info('after reopen');
  await flushLogs();
  t.match(readFileSync(file, 'utf8'), /^\w{3} \d\d \d\d:\d\d:\d\d test\s*\tinfo\tafter reopen\n$/);
});

t.test('a log file made unwritable is reported once, stays off, and comes back on reopen', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'canto.log');
  configureLogging('canto.log', dir, {});
  const log = getLogger('test');
  log.info('one');
  await flushLogs();
  // As root, permissions do not stop a write; a folder in the file's place does.
  rmSync(file);
  mkdirSync(file);
  const reported = await stderrOf(() => {
    reopenLogs();
    log.info('lost');
    log.error('lost too');
  });
  t.match(reported, new RegExp(`^\\w{3} \\d\\d \\d\\d:\\d\\d:\\d\\d general\\s*\\terror\\tCannot write to log file ${file}: EISDIR: illegal operation on a directory, open '${file}'; it stays off until logs are reopened \\(SIGHUP\\)\\n$`));
  t.equal(await stderrOf(() => log.info('still lost')), '', 'reported once');
  rmdirSync(file);
  reopenLogs();
  log.info('back');
  await flushLogs();
  t.match(readFileSync(file, 'utf8'), /\tinfo\tback\n$/);
});

t.test('a full disk is reported once and the caller goes on', async (t) => {
  configureLogging('/dev/full', '/', {});
  const log = getLogger('test');
  const reported = await stderrOf(() => {
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
  await flushLogs();
  t.match(readFileSync(join(dir, 'prosody.log'), 'utf8'), /\tinfo\tinfo line\n.*\terror\terror line\n$/);
  await flushLogs();
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
  await flushLogs();
  t.match(readFileSync(join(dir, 'kept.log'), 'utf8'), /still here/, 'the old sinks stay');
  t.notOk(existsSync(join(dir, 'x.log')));
});

t.test('lines reach the file whole and in the order they were logged, across turns of the event loop', async (t) => {
  const dir = t.testdir();
  configureLogging('order.log', dir, {});
  const log = getLogger('test');
  for (let turn = 0; turn < 20; turn++) {
    for (let i = 0; i < 250; i++) log.info('line %d', turn * 250 + i);
    await new Promise((r) => setImmediate(r));
  }
  await flushLogs();
  const numbers = readFileSync(join(dir, 'order.log'), 'utf8').trimEnd().split('\n').map((l) => Number(/\tline (\d+)$/.exec(l)?.[1]));
  t.same(numbers, Array.from({ length: 5000 }, (_, i) => i));
});

t.test('lines beyond the buffer are dropped, counted, and the count is logged once it drains', async (t) => {
  const dir = t.testdir();
  configureLogging('flood.log', dir, {});
  const log = getLogger('test');
  const filler = 'x'.repeat(1000);
  // 3 MiB in one turn: more than LOG_BUFFER_BYTES waits before the first write starts.
  for (let i = 0; i < 3000; i++) log.info('line %d %s', i, filler);
  await flushLogs();
  log.info('after');
  await flushLogs();
  const lines = readFileSync(join(dir, 'flood.log'), 'utf8').trimEnd().split('\n');
  const kept = lines.filter((l) => /\tline \d+ x+$/.test(l)).length;
  const note = lines.find((l) => l.includes('dropped'));
  t.match(note, / general\s*\twarn\t(\d+) log lines were dropped: the log could not keep up$/);
  const dropped = Number(/\t(\d+) log lines were dropped/.exec(note ?? '')?.[1]);
  t.ok(kept > 0 && dropped > 0, `${kept} kept, ${dropped} dropped`);
  t.equal(kept + dropped, 3000, 'every line is either written or counted');
  t.equal(lines.indexOf(note!), kept, 'the count follows the lines kept');
  t.match(lines.at(-1), /\tafter$/, 'and logging goes on');
});

t.test('a log file renamed away (logrotate) keeps taking lines until reopen, then a new file does', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'canto.log');
  configureLogging('canto.log', dir, {});
  const log = getLogger('test');
  log.info('before');
  await flushLogs();
  renameSync(file, `${file}.1`);
  log.info('still the old file');
  await flushLogs();
  reopenLogs();
  log.info('the new file');
  await flushLogs();
  t.match(readFileSync(`${file}.1`, 'utf8'), /\tbefore\n.*\tstill the old file\n$/);
  t.match(readFileSync(file, 'utf8'), /^[^\n]*\tthe new file\n$/);
  t.equal(statSync(file).mode & 0o777, 0o640, 'the new file is 0640');
});

t.test('what is still queued is written at exit', async (t) => {
  const dir = t.testdir();
  configureLogging('exit.log', dir, {});
  for (let i = 0; i < 100; i++) getLogger('test').info('line %d', i);
  flushLogsSync();
  const lines = readFileSync(join(dir, 'exit.log'), 'utf8').trimEnd().split('\n');
  t.equal(lines.length, 100, 'written before the call returned');
  t.match(lines.at(-1), /\tline 99$/);
});
