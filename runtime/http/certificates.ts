/**
 * Which certificate HTTPS serves, found as Prosody finds it: `https_certificate` (key derived
 * from the name), else `https_ssl` / `ssl` tables, else per host in the `certificates` folder.
 * A host with none gets a self-signed certificate, made once and kept under `<data>/certs`.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CantoError, errorText } from '../errors.js';
import type { Logger } from '../log.js';
import { isTable } from './option-values.js';
import { generateSelfSigned } from './self-signed.js';

export interface KeyPair {
  key: string | Buffer;
  cert: string | Buffer;
}
export interface TlsConfig {
  default: KeyPair;
  /** SNI: certificate by (lower-cased) host name. */
  byHost: Map<string, KeyPair>;
}

export interface TlsContext {
  configDir: string;
  dataPath: string;
  hosts: string[];
  log: Logger;
  /** false (ctl check): a missing self-signed certificate is made in memory only, and not kept. */
  writeCertificates?: boolean;
}

/** x.crt -> x.key, .../fullchain.pem -> .../privkey.pem (Prosody's certmanager). */
export function keyPathFor(certPath: string): string {
  if (/fullchain/.test(certPath)) return certPath.replace(/fullchain(?!.*fullchain)/, 'privkey');
  return certPath.replace(/\.(crt|pem|cer)$/i, '') + '.key';
}

function load(certPath: string, keyPath: string): KeyPair {
  const read = (p: string) => {
    try {
      return readFileSync(p);
    } catch (err) {
      throw new CantoError('ERR_TLS', [`cannot read ${p}: ${errorText(err)}`], { cause: err });
    }
  };
  const pair = { cert: read(certPath), key: read(keyPath) };
  try {
    if (!new X509Certificate(pair.cert).checkPrivateKey(createPrivateKey(pair.key))) throw new Error('key does not match certificate');
  } catch (err) {
    throw new CantoError('ERR_TLS', [`${certPath} / ${keyPath}: ${errorText(err)}`], { cause: err });
  }
  return pair;
}

/** The explicitly configured default certificate, if any. */
function configured(option: (name: string) => unknown, ctx: TlsContext, port: number | undefined): KeyPair | undefined {
  const abs = (p: unknown) => resolve(ctx.configDir, String(p));
  let https = option('https_certificate');
  if (isTable(https)) https = (port !== undefined ? https[String(port)] : undefined) ?? https.default;
  if (typeof https === 'string') return load(abs(https), keyPathFor(abs(https)));
  for (const name of ['https_ssl', 'ssl']) {
    const table = option(name);
    if (isTable(table) && typeof table.certificate === 'string' && typeof table.key === 'string') {
      return load(abs(table.certificate), abs(table.key));
    }
  }
  return undefined;
}

/** `<certs>/<host>.crt` + `.key`, or `<certs>/<host>/fullchain.pem` + `privkey.pem`. */
function fromFolder(folder: string, host: string): KeyPair | undefined {
  for (const [cert, key] of [
    [join(folder, host + '.crt'), join(folder, host + '.key')],
    [join(folder, host, 'fullchain.pem'), join(folder, host, 'privkey.pem')],
  ] as const) {
    if (existsSync(cert) && existsSync(key)) return load(cert, key);
  }
  return undefined;
}

/** The host's kept self-signed certificate, made (and logged) on first need or when expired. */
function selfSigned(ctx: TlsContext, host: string): KeyPair {
  const { log } = ctx;
  const dir = join(ctx.dataPath, 'certs');
  const certPath = join(dir, host + '.crt');
  const keyPath = join(dir, host + '.key');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const pair = load(certPath, keyPath);
    if (Date.parse(new X509Certificate(pair.cert).validTo) > Date.now()) {
      log.warn('Using self-signed certificate %s for %s (browsers and curl need -k)', certPath, host);
      return pair;
    }
  }
  const pair = generateSelfSigned(host);
  if (ctx.writeCertificates === false) {
    log.warn('No certificate for %s: the server will generate a self-signed one in %s', host, certPath);
    return pair;
  }
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  writeFileSync(keyPath, pair.key, { mode: 0o640 });
  chmodSync(keyPath, 0o640);
  writeFileSync(certPath, pair.cert, { mode: 0o640 });
  chmodSync(certPath, 0o640);
  log.warn('No certificate for %s: generated a self-signed one in %s (browsers and curl need -k)', host, certPath);
  return pair;
}

export function resolveTls(option: (name: string) => unknown, ctx: TlsContext, httpsPorts: number[]): TlsConfig {
  const explicit = configured(option, ctx, httpsPorts[0]);
  const folder = resolve(ctx.configDir, String(option('certificates') ?? 'certs'));
  const byHost = new Map<string, KeyPair>();
  for (const raw of ctx.hosts) {
    const host = raw.toLowerCase();
    // A host name becomes a file name below: refuse anything that could leave the folder.
    if (!/^[a-z0-9_-][a-z0-9_.-]*$/.test(host)) {
      ctx.log.warn('Host %s: name unusable for a certificate file, skipped', JSON.stringify(raw));
      continue;
    }
    const found = fromFolder(folder, host) ?? (explicit ? undefined : selfSigned(ctx, host));
    if (found) byHost.set(host, found);
  }
  const fallback = explicit ?? byHost.values().next().value ?? selfSigned(ctx, 'localhost');
  return { default: fallback, byHost };
}
