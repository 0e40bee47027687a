/**
 * Broken HTTP settings: ports, interfaces, trusted proxies, body limits.
 * ctl check and server start refuse each with the same errors (test/helpers/check-agreement.ts).
 */
import t from 'tap';
import { checkAgreement, type BrokenConfig } from '../../helpers/check-agreement.js';

const cases: BrokenConfig[] = [
  { name: 'a port that is a word', lines: ['http_ports = { "abc" }'], error: /option 'http_ports' has 'abc', which is not a port number/ },
  { name: 'a port out of range', lines: ['http_ports = { 70000 }'], error: /option 'http_ports' has '70000'/ },
  { name: 'a negative https port', lines: ['https_ports = { -1 }'], error: /option 'https_ports' has '-1'/ },
  { name: 'a boolean as ports', lines: ['http_ports = true'], error: /option 'http_ports' has 'true'/ },
  { name: 'an interface with spaces', lines: ['http_interfaces = { "not an address" }'], error: /option 'http_interfaces' has 'not an address'/ },
  { name: 'a table as interface', lines: ['https_interfaces = { {} }'], error: /option 'https_interfaces' must be a list of strings/ },
  { name: 'an empty interface', lines: ['http_interfaces = { "" }'], error: /option 'http_interfaces' has ''/ },
  { name: 'a CIDR as interface', lines: ['interfaces = { "10.0.0.1/24" }'], error: /option 'interfaces' has '10.0.0.1\/24'/ },
  { name: 'a bad local_interfaces', lines: ['local_interfaces = { "a b" }'], error: /option 'local_interfaces' has 'a b'/ },
  { name: 'a proxy prefix too long', lines: ['trusted_proxies = { "10.0.0.0/99" }'], error: /option 'trusted_proxies' has '10.0.0.0\/99'/ },
  { name: 'a proxy that is a word', lines: ['trusted_proxies = { "gateway" }'], error: /option 'trusted_proxies' has 'gateway'/ },
  { name: 'a table as proxy', lines: ['trusted_proxies = { { "10.0.0.1" } }'], error: /option 'trusted_proxies' must be a list of strings/ },
  { name: 'a content size in words', lines: ['http_max_content_size = "big"'], error: /option 'http_max_content_size' must be a number/ },
  { name: 'a content size with a unit', lines: ['http_max_content_size = "10 MB"'], error: /option 'http_max_content_size' must be a number/ },
  { name: 'a missing https_certificate', lines: ['https_ports = { 0 }', 'https_certificate = "missing.crt"'], error: /TLS: cannot read .*missing\.crt/ },
  { name: 'a missing ssl certificate', lines: ['https_ports = { 0 }', 'ssl = { certificate = "nope.crt", key = "nope.key" }'], error: /TLS: cannot read .*nope\.crt/ },
  { name: 'a port with letters after it', lines: ['https_ports = { "5281a" }'], error: /option 'https_ports' has '5281a'/ },
  { name: 'a syntax error', file: 'http_ports = { 5280\nVirtualHost "x"\n', error: /prosody\.cfg\.lua:2:1: expected '}' near 'VirtualHost'/ },
  { name: 'arithmetic on nil', file: 'local x = nil\nhttp_ports = { x + 1 }\n', error: /prosody\.cfg\.lua:2:\d+: attempt to perform arithmetic on a nil value/ },
  { name: 'RunScript', file: 'RunScript "setup.lua"\n', error: /RunScript is not supported/ },
];

t.test(`${cases.length} broken HTTP settings: ctl check and server start agree`, (t) => checkAgreement(t, cases));
