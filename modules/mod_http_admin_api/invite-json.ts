/**
 * An invite as the admin API shows it: mod_http_admin_api's token_info_to_invite_info
 * (id, type, reusable, inviter, jid, uri, landing_page, created_at, expires, groups, roles,
 * source, reset, note), plus Canto's record of uses and revocation.
 */
import type { InviteRecord } from '../mod_invites/types.js';

export interface InviteJson {
  id: string;
  type: 'register' | 'roster';
  reusable: boolean;
  inviter?: string;
  jid: string;
  uri: string;
  landing_page?: string;
  note?: string;
  created_at: number;
  expires: number;
  groups?: string[];
  roles?: string[];
  source?: string;
  reset: boolean;
  kind: InviteRecord['kind'];
  status: InviteRecord['status'];
  valid: boolean;
  max_uses?: number;
  uses: number;
  used_by: string[];
  revoked_at?: number;
  revoked_by?: string;
}

/** 0.12 stores roles as a set (`{["prosody:admin"]=true}`), newer Prosody as a list: both read as a list. */
export function roleList(roles: unknown): string[] | undefined {
  if (Array.isArray(roles)) return roles.filter((r): r is string => typeof r === 'string');
  if (typeof roles === 'object' && roles !== null) return Object.keys(roles).filter((k) => (roles as Record<string, unknown>)[k] === true);
  return undefined;
}

export function inviteJson(record: InviteRecord): InviteJson {
  const data = record.additional_data ?? {};
  const out: InviteJson = {
    id: record.token,
    type: record.type,
    reusable: record.reusable === true,
    jid: record.jid,
    uri: record.uri,
    created_at: record.created_at,
    expires: record.expires,
    reset: typeof data.allow_reset === 'string',
    kind: record.kind,
    status: record.status,
    valid: record.status === 'pending',
    uses: record.uses ?? 0,
    used_by: [...(record.used_by ?? [])],
  };
  if (record.type === 'roster') out.inviter = record.jid;
  if (typeof record.landing_page === 'string') out.landing_page = record.landing_page;
  if (typeof data.note === 'string') out.note = data.note;
  if (Array.isArray(data.groups)) out.groups = data.groups.filter((g): g is string => typeof g === 'string');
  const roles = roleList(data.roles);
  if (roles) out.roles = roles;
  if (typeof data.source === 'string') out.source = data.source;
  if (record.max_uses !== undefined) out.max_uses = record.max_uses;
  if (record.revoked_at !== undefined) out.revoked_at = record.revoked_at;
  if (record.revoked_by !== undefined) out.revoked_by = record.revoked_by;
  return out;
}
