/**
 * The server's start-up after the config is read, shared by the server entry point
 * (runtime/main.ts) and the test kit's in-process host (canto/testing), so a test host is set
 * up exactly as the server is: diagnostics logged, HTTP settings from the config, the HTTP
 * server made (the kit never lets it listen), every enabled module loaded on every host.
 */
import type { ParsedConfig } from './config/types.js';
import { HttpServer, httpSettingsFromOptions } from './http/server.js';
import { getLogger, type Logger } from './log.js';
import type { Runtime } from './runtime.js';

/** Each config problem as one line, `file:line:column: message`, at its level. */
export function logDiagnostics(config: ParsedConfig, log: Logger): void {
  for (const d of config.diagnostics) {
    const where = d.position ? `${d.position.file}:${d.position.line}:${d.position.column}: ` : '';
    log.log(d.level === 'error' ? 'error' : 'warn', `${where}${d.message}`);
  }
}

/** Gives the runtime its HTTP server (not yet listening), loads every module, then runs their onReady callbacks. */
export async function prepareServer(runtime: Runtime): Promise<HttpServer> {
  const httpLog = getLogger('http');
  const settings = await httpSettingsFromOptions((name) => runtime.option(null, name), {
    configDir: runtime.configDir,
    dataPath: runtime.dataPath,
    hosts: runtime.hostNames(),
    log: httpLog,
  });
  const http = new HttpServer(settings, httpLog);
  runtime.http = http;
  await runtime.startStorage(); // a database that cannot be used stops the start here, before any module
  await runtime.loadAll();
  // Prosody's server-started: modules' onReady callbacks run once everything is loaded.
  for (const host of runtime.hosts) await host.ready();
  return http;
}
