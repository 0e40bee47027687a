/**
 * The registration form's fields from an `application/x-www-form-urlencoded` body, and the
 * anti-CSRF token: a random value in an HttpOnly, SameSite=Strict cookie that the form repeats
 * in a hidden field (double submit), compared in constant time.
 */
import { randomId, secretEquals } from 'canto/module-api';
import type { HttpRequest } from 'canto/module-api';

/** Longer fields are refused (400) before anything else looks at them; a JID localpart is at most 1023 bytes. */
export const FIELD_LIMIT = 1023;

export interface RegisterForm {
  user: string;
  password: string;
  token: string;
  app_id: string;
  csrf: string;
}

/** The fields, or `undefined` when the body is not a form or a field is too long. */
export function parseForm(request: HttpRequest): RegisterForm | undefined {
  const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  const fields = new URLSearchParams(request.body.toString('utf8'));
  const form: RegisterForm = { user: '', password: '', token: '', app_id: '', csrf: '' };
  for (const key of Object.keys(form) as (keyof RegisterForm)[]) {
    const value = fields.get(key) ?? '';
    if (Buffer.byteLength(value) > FIELD_LIMIT) return undefined;
    form[key] = value;
  }
  return form;
}

const COOKIE = 'canto_register_csrf';

/** The request's CSRF cookie, if it carries a well-formed one. */
export function csrfCookie(request: HttpRequest): string | undefined {
  for (const part of String(request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE && /^[A-Za-z0-9_-]{32}$/.test(value.join('='))) return value.join('=');
  }
  return undefined;
}

/** The value for the form and, when the request had none, the Set-Cookie header that sets it. */
export function csrfFor(request: HttpRequest, path: string): { value: string; setCookie?: string } {
  const existing = csrfCookie(request);
  if (existing !== undefined) return { value: existing };
  const value = randomId(24);
  return { value, setCookie: `${COOKIE}=${value}; Path=${path}; HttpOnly; SameSite=Strict${request.secure ? '; Secure' : ''}` };
}

export function csrfValid(request: HttpRequest, submitted: string): boolean {
  const cookie = csrfCookie(request);
  return cookie !== undefined && secretEquals(Buffer.from(cookie), Buffer.from(submitted));
}
