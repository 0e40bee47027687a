/** Web registration as a browser does it, for the end-to-end tests: the form's cookie and CSRF field, then the POST. */
import { request, runCtl, type CantoServer, type Reply } from './canto.js';

/** GET the form (with `c=APP` when `app` is given), keep its cookie and CSRF field, POST `fields`. */
export async function submitForm(server: CantoServer, token: string, fields: Record<string, string>, opts: { app?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const page = await request(server.url(`/register?t=${token}${opts.app ? `&c=${opts.app}` : ''}`), { headers: opts.headers ?? {} });
  const cookie = String(page.headers['set-cookie'] ?? '').split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const body = new URLSearchParams({ token, csrf, ...(opts.app ? { app_id: opts.app } : {}), ...fields }).toString();
  return request(server.url(`/register?t=${token}`), {
    method: 'POST',
    headers: { ...opts.headers, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
    body,
  });
}

/** A new account invite from `ctl mod_invites generate HOST ...flags`: its token. */
export async function generateInvite(dir: string, host: string, ...flags: string[]): Promise<string> {
  const r = await runCtl(dir, ['mod_invites', 'generate', host, ...flags]);
  // Not `\b` after the token: one that ends in `-` has no word boundary before the newline.
  const token = /[?=]([A-Za-z0-9_-]{24})(?![A-Za-z0-9_-])/.exec(r.stdout)?.[1];
  if (r.code !== 0 || token === undefined) throw new Error(`ctl mod_invites generate printed no invite (exit ${r.code}): ${r.stdout}${r.stderr}`);
  return token;
}
