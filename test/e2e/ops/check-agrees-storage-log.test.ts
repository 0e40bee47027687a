/**
 * Broken storage drivers, log sinks and certificates.
 * ctl check and server start refuse each with the same errors (test/helpers/check-agreement.ts).
 */
import t from 'tap';
import { checkAgreement, type BrokenConfig } from '../../helpers/check-agreement.js';

const cases: BrokenConfig[] = [
  { name: 'an unknown storage driver', lines: ['storage = "nosuchdriver"'], error: /Unknown storage driver 'nosuchdriver'/ },
  { name: 'an unknown driver for one store', lines: ['storage = { invite_token = "bogus" }'], error: /Unknown storage driver 'bogus'/ },
  { name: 'an unknown default_storage', lines: ['default_storage = "memoryish"'], error: /Unknown storage driver 'memoryish'/ },
  { name: 'an unknown driver on a host', host: ['storage = "flatfile"'], error: /Unknown storage driver 'flatfile'/ },
  { name: 'a number as log', lines: ['log = 42'], error: /option 'log' must be a file name, "\*console", "\*syslog" or a table of si/ },
  { name: 'a log level that does not exist', lines: ['log = { { levels = { min = "loud" }, to = "console" } }'], error: /option 'log' names level "loud"/ },
  { name: 'a log table keyed by a non-level', lines: ['log = { chatty = "canto.log" }'], error: /option 'log' names level "chatty"/ },
  { name: 'a log sink that is a number', lines: ['log = { 5 }'], error: /option 'log' has 5, which is not a sink table/ },
  { name: 'a log sink whose target is a number', lines: ['log = { { to = 5 } }'], error: /option 'log': a sink table needs 'to', e.g. to = "file"/ },
];

t.test(`${cases.length} broken storage, log and certificate settings: ctl check and server start agree`, (t) => checkAgreement(t, cases));
