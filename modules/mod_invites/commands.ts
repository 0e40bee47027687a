/**
 * `npx ctl mod_invites generate|list|show|delete HOST ...` (Prosody 0.12's `generate`, plus the
 * list/show/delete that Prosody 13 added to its shell).
 */
import { parsePeriod, UsageError } from 'canto/module-api';
import type { CtlCommand, CtlContext } from 'canto/module-api';
import type { Invite, InviteRecord, InvitesApi, InvitesOptions } from './types.js';
import { kindOf } from './invites.js';
import { jidNode, nodeprep } from './username.js';

type Context = CtlContext<InvitesApi, InvitesOptions>;
type Command = CtlCommand<InvitesApi, InvitesOptions>;

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function list(value: string | true | string[] | undefined): string[] {
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

/** Prints the landing page if the host has a landing-page module; loading it adds its invite-created hook. */
async function landingPageLoaded(ctx: Context): Promise<boolean> {
  const pageModule = ctx.module.options.invites_page_module;
  if (!ctx.module.enabledModules.includes(pageModule)) return false;
  try {
    await ctx.module.depends(pageModule);
    return true;
  } catch (err) {
    ctx.module.log('warn', 'Could not load %s, printing the xmpp: URI instead: %s', pageModule, (err as Error).message);
    return false;
  }
}

/** One line saying what an invite is for, for `list`; it starts with its kind, as the admin API gives it. */
function describe(invite: Invite): string {
  const data = invite.additional_data ?? {};
  const node = jidNode(invite.jid);
  const parts: string[] = [];
  const kind = kindOf(invite);
  if (kind === 'contact') parts.push(`contact of ${node}` + (invite.allow_registration ? ' (may register)' : ''));
  else if (kind === 'reset') parts.push(`password reset for ${String(data.allow_reset)}`);
  else parts.push(node === undefined ? kind : `${kind} ${node}`);
  if (Array.isArray(data.groups) && data.groups.length) parts.push(`groups: ${data.groups.join(', ')}`);
  // 0.12 stores roles as a set ({["prosody:admin"]=true}); accept a list too.
  const roles = Array.isArray(data.roles) ? data.roles.map(String) : typeof data.roles === 'object' ? Object.keys(data.roles) : [];
  if (roles.length) parts.push(`roles: ${roles.join(', ')}`);
  if (invite.reusable) parts.push('reusable');
  if (invite.max_uses !== undefined || invite.uses !== undefined) parts.push(`used ${invite.uses ?? 0}${invite.max_uses === undefined ? '' : `/${invite.max_uses}`}`);
  if (typeof data.note === 'string' && data.note) parts.push(`note: ${data.note.replace(/[\p{Cc}]+/gu, ' ')}`);
  if (typeof data.source === 'string') parts.push(`via ${data.source}`);
  return parts.join('; ');
}

/** Why a record that is not pending no longer works, for `list --all`. */
function fate(record: InviteRecord): string {
  if (record.status === 'revoked') return `revoked ${iso(record.revoked_at ?? 0)} by ${record.revoked_by ?? 'unknown'}`;
  if (record.status === 'used') return 'used';
  return record.status;
}

const generate: Command = {
  description: 'Create an account invite (or a password reset) and print its link',
  flags: {
    reset: { description: 'Invite to reset the password of this existing account', value: 'USER' },
    admin: { description: 'The new account gets the prosody:admin role' },
    role: { description: 'The new account gets this role', value: 'ROLE', repeatable: true },
    group: { description: 'The new account joins this group', value: 'ID', repeatable: true, alias: '-g' },
    'expires-after': { description: 'Lifetime, e.g. 3600, "1 week", 12h (default invite_expiry)', value: 'PERIOD' },
  },
  exclusive: [['reset', 'admin'], ['reset', 'role'], ['reset', 'group']],
  async run(ctx) {
    const { api, flags } = ctx;
    let ttl: number | undefined;
    if (typeof flags['expires-after'] === 'string') {
      ttl = parsePeriod(flags['expires-after']);
      if (ttl === undefined || ttl <= 0 || ttl === Infinity) throw new UsageError(`invalid period '${flags['expires-after']}' (expected seconds or e.g. "1 week", "12h")`);
    }
    let reset: string | undefined;
    if (typeof flags.reset === 'string') {
      reset = nodeprep(flags.reset);
      if (reset === undefined) throw new UsageError(`invalid username '${flags.reset}'`);
    }
    const withPage = await landingPageLoaded(ctx);
    let invite: Invite;
    if (reset !== undefined) {
      invite = await api.createAccountReset(reset, ttl);
    } else {
      const roles = [...(flags.admin === true ? ['prosody:admin'] : []), ...list(flags.role)];
      const data = { groups: list(flags.group), ...(roles.length ? { roles: Object.fromEntries(roles.map((r) => [r, true])) } : {}) };
      invite = await api.createAccount(undefined, data, ttl);
    }
    ctx.out(withPage && invite.landing_page ? invite.landing_page : invite.uri);
  },
};

const listCommand: Command = {
  description: 'List pending invites: token, type, expiry (UTC) and what each is for',
  flags: { all: { description: 'Also list expired, revoked and used-up invites, with what became of them' } },
  async run(ctx) {
    if (ctx.flags.all === true) {
      let count = 0;
      for await (const r of ctx.api.records()) {
        ctx.out([r.token, r.type, iso(r.expires), [describe(r), r.status === 'pending' ? '' : fate(r)].filter(Boolean).join('; ')].join('\t'));
        if (++count % 100 === 0) await ctx.drained();
      }
      ctx.out(`${count} invite${count === 1 ? '' : 's'}`);
      return;
    }
    let count = 0;
    for await (const invite of ctx.api.pending()) {
      ctx.out([invite.token, invite.type, iso(invite.expires), describe(invite)].join('\t'));
      if (++count % 100 === 0) await ctx.drained();
    }
    ctx.out(`${count} pending invite${count === 1 ? '' : 's'}`);
  },
};

const show: Command = {
  description: 'Show one invite: pending, expired, revoked or used up',
  args: [{ name: 'TOKEN', description: 'The invite token' }],
  async run(ctx) {
    const invite = await ctx.api.record(ctx.args[0]!);
    if (!invite) {
      ctx.err('Error: invite not found');
      return 1;
    }
    const now = ctx.module.time();
    ctx.out(`token: ${invite.token}`);
    ctx.out(`type: ${invite.type}`);
    ctx.out(`kind: ${invite.kind}`);
    ctx.out(`jid: ${invite.jid}`);
    ctx.out(`uri: ${invite.uri}`);
    if (invite.landing_page) ctx.out(`landing_page: ${invite.landing_page}`);
    ctx.out(`created_at: ${iso(invite.created_at)}`);
    ctx.out(`expires: ${iso(invite.expires)}${now > invite.expires ? ' (expired)' : ''}`);
    ctx.out(`reusable: ${invite.reusable === true ? 'yes' : 'no'}`);
    ctx.out(`status: ${invite.status}`);
    ctx.out(`uses: ${invite.uses ?? 0}${invite.max_uses === undefined ? '' : ` of ${invite.max_uses}`}`);
    if (invite.used_by?.length) ctx.out(`used_by: ${invite.used_by.join(', ')}`);
    if (invite.revoked_at !== undefined) ctx.out(`revoked_at: ${iso(invite.revoked_at)}`);
    if (invite.revoked_by !== undefined) ctx.out(`revoked_by: ${invite.revoked_by}`);
    ctx.out(`description: ${describe(invite)}`);
    if (invite.additional_data) ctx.out(`additional_data: ${JSON.stringify(invite.additional_data)}`);
  },
};

const deleteCommand: Command = {
  description: 'Revoke an invite; its record is kept (show TOKEN) and its link says it was revoked',
  args: [{ name: 'TOKEN', description: 'The invite token' }],
  async run(ctx) {
    if (await ctx.api.delete(ctx.args[0]!)) return 0;
    ctx.err('Error: invite not found');
    return 1;
  },
};

export const commands: Record<string, Command> = { generate, list: listCommand, show, delete: deleteCommand };
