/**
 * The server's start-up after the config is read, for the test kit's in-process host
 * (canto/testing), so a test host is set up as the server is: the same builder
 * (runtime/build.ts) as server start, ctl check and reload, then the HTTP server made (the kit
 * never lets it listen) and every enabled module loaded on every host.
 */
import { buildRuntime, refuses, where } from './build.js';
import type { ParsedConfig } from './config/types.js';
import { measureProcess, measureStorage } from './host-metrics.js';
import { HttpServer } from './http/server.js';
import { getLogger, type Logger } from './log.js';
import type { Runtime } from './runtime.js';

/** Each config problem as one line, `file:line:column: message`, at its level. */
export function logDiagnostics(config: ParsedConfig, log: Logger): void {
  for (const d of config.diagnostics) log.log(d.level === 'error' ? 'error' : 'warn', `${where(d.position)}${d.message}`);
}

/** Gives the runtime its HTTP server (not yet listening) and loads every module; throws what the server would refuse. */
export async function prepareServer(runtime: Runtime): Promise<HttpServer> {
  measureStorage();
  measureProcess();
  const log = getLogger('general');
  const { http: settings, problems } = await buildRuntime(runtime, { writeCertificates: true });
  for (const p of problems) log.log(p.level === 'error' ? 'error' : 'warn', `${where(p.position)}${p.message}`);
  if (refuses(problems)) {
    throw new Error(problems.filter((p) => p.level === 'error' && !p.module).map((p) => `${where(p.position)}${p.message}`).join('; '));
  }
  const http = new HttpServer(settings, getLogger('http'), runtime.router);
  runtime.http = http;
  await runtime.loadAll();
  // Prosody's server-started: modules' onReady callbacks run once everything is loaded.
  for (const host of runtime.hosts) await host.ready();
  return http;
}
