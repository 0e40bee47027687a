/**
 * The JSON Schemas of mod_http_admin_api: request bodies (checked by the host before a handler
 * runs) and responses (published in /admin_api/openapi.json, which the tests validate every
 * response against). Field names and types are those of prosody-modules' openapi.yaml (the copy
 * with `roles` and `note`); Canto's additions are marked in their descriptions.
 */

const stringList = (description: string) => ({ type: 'array', items: { type: 'string', minLength: 1, maxLength: 1023 }, maxItems: 100, description });
const ttl = (description: string) => ({ type: 'number', exclusiveMinimum: 0, maximum: 100 * 365 * 86400, description });
const note = { type: 'string', nullable: true, maxLength: 1000, description: 'Free-form text note/annotation to help identify the invitation' };
const maxUses = {
  type: 'integer',
  minimum: 1,
  maximum: 1_000_000,
  description: 'Canto: how many accounts the invite may create; more than 1 makes it reusable until then',
};

export const NewAccountInvite = {
  type: 'object',
  properties: {
    username: { type: 'string', nullable: true, minLength: 1, maxLength: 1023, description: 'Optionally restrict the registered account to the specified username' },
    ttl: { ...ttl('The time in seconds that the invitation will be valid for (invite_expiry when not provided)'), nullable: true },
    groups: { ...stringList('IDs of existing groups to add the new account to'), nullable: true },
    roles: { ...stringList('List of roles the new account should have (primary role first)'), nullable: true },
    note,
    max_uses: { ...maxUses, nullable: true },
  },
  additionalProperties: false,
} as const;

export const NewGroupInvite = {
  type: 'object',
  properties: {
    ttl: ttl('The invitation is reusable for this many seconds. Without it the invitation is single-use and lasts invite_expiry, as the Lua module does (its openapi.yaml says it lasts until revoked)'),
    groups: { ...stringList('IDs of existing groups to add the new accounts to'), nullable: true },
    group_options: {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 1023 }, create_muc: { type: 'boolean' } },
      additionalProperties: false,
      description: 'Accepted for compatibility; Canto has no group store and ignores it',
    },
    roles: { ...stringList('List of roles the new accounts should have (primary role first)'), nullable: true },
    note,
    max_uses: { ...maxUses, nullable: true },
  },
  required: ['groups'],
  additionalProperties: false,
} as const;

export const NewResetInvite = {
  type: 'object',
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 1023, description: 'Username of the account to create a password reset link for' },
    ttl: { ...ttl('Time in seconds that the link will be valid. Defaults to 24 hours.'), nullable: true },
  },
  required: ['username'],
  additionalProperties: false,
} as const;

const nullableString = (description: string) => ({ type: 'string', nullable: true, description });

export const Invite = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'Unique ID of the invite' },
    type: { type: 'string', enum: ['register', 'roster'], description: 'The type (action) of the invite' },
    reusable: { type: 'boolean', description: 'Whether the invite may be used more than once (until expiry, revocation or max_uses)' },
    inviter: nullableString('(Optional) JID of the inviter'),
    jid: { type: 'string', description: 'The JID of the invite, interpretation varies based by invite type' },
    uri: { type: 'string', description: 'XMPP URI of the invite' },
    landing_page: nullableString('HTTPS URL of invite page (use in preference to XMPP URI when available)'),
    note: nullableString('Free-form text note/annotation to help identify the invitation'),
    created_at: { type: 'integer', description: 'Unix timestamp of invite creation' },
    expires: { type: 'integer', description: 'Unix timestamp of invite expiration' },
    groups: { type: 'array', items: { type: 'string' }, description: 'Array of group IDs that an accepting user will be added to' },
    roles: { type: 'array', items: { type: 'string' }, description: 'Array of role names that accepting users will have (primary first)' },
    source: { type: 'string', description: "How and by whom the invite was created; Canto's API keys give 'api/token/KEY_ID'" },
    reset: { type: 'boolean', description: "Indicates that this is an account reset for the account identified by 'jid'" },
    kind: { type: 'string', enum: ['account', 'group', 'reset', 'contact'], description: 'Canto: what the invite is for' },
    status: { type: 'string', enum: ['pending', 'expired', 'revoked', 'used'], description: 'Canto: whether it can still be used, and if not why' },
    valid: { type: 'boolean', description: 'Canto: status is pending' },
    max_uses: { type: 'integer', nullable: true, description: 'Canto: the use limit of a reusable invite' },
    uses: { type: 'integer', description: 'Canto: accounts created (or passwords reset) with it so far' },
    used_by: { type: 'array', items: { type: 'string' }, description: 'Canto: the usernames that used it, oldest first' },
    revoked_at: { type: 'integer', nullable: true, description: 'Canto: Unix timestamp of revocation' },
    revoked_by: { type: 'string', nullable: true, description: "Canto: who revoked it ('api/token/KEY_ID', 'ctl')" },
  },
  required: ['id', 'type', 'reusable', 'jid', 'uri', 'created_at', 'expires', 'reset', 'kind', 'status', 'valid', 'uses', 'used_by'],
  additionalProperties: false,
} as const;

export const InviteList = { type: 'array', items: { $ref: '#/components/schemas/Invite' } } as const;

export const InvitePage = {
  type: 'object',
  description: 'Canto: a page of invites, answered instead of the plain array when the request names limit or cursor',
  properties: {
    invites: { $ref: '#/components/schemas/InviteList' },
    next: { type: 'string', nullable: true, description: 'The cursor for the next page; null on the last one' },
  },
  required: ['invites', 'next'],
  additionalProperties: false,
} as const;

export const User = {
  type: 'object',
  properties: {
    username: { type: 'string', description: 'XMPP username of the user' },
    display_name: nullableString('Display name of the user'),
    role: nullableString('Primary role of the user'),
    secondary_roles: { type: 'array', items: { type: 'string' }, description: 'List of additional roles assigned to the user' },
    roles: { type: 'array', items: { type: 'string' }, description: 'List of roles assigned to the user (Prosody 0.12)' },
    groups: { type: 'array', items: { type: 'string' }, description: 'List of group IDs user is a member of' },
    invite: {
      type: 'object',
      nullable: true,
      description: 'Canto: the invite this account was created with',
      properties: {
        id: { type: 'string' },
        used_at: { type: 'integer' },
        source: { type: 'string', nullable: true },
        kind: { type: 'string', enum: ['account', 'group', 'reset', 'contact'] },
      },
      required: ['id', 'used_at'],
      additionalProperties: false,
    },
  },
  required: ['username'],
  additionalProperties: false,
} as const;

export const UserList = { type: 'array', items: { $ref: '#/components/schemas/User' } } as const;

export const ServerInfo = {
  type: 'object',
  properties: {
    site_name: { type: 'string', description: 'A friendly name for the service' },
    version: { type: 'string', description: 'A human-readable version string' },
  },
  required: ['site_name', 'version'],
  additionalProperties: false,
} as const;

export const ServerMetrics = {
  type: 'object',
  description: "A selection of instantaneous metrics of the server process, from its metric registry (GET /metrics): process_resident_memory_bytes and process_cpu_seconds; a metric nobody measures is left out, as the Lua module does",
  properties: {
    memory: { type: 'integer', description: 'RSS in bytes' },
    cpu: {
      type: 'object',
      description: 'CPU time counter',
      required: ['value', 'since'],
      properties: {
        since: { type: 'number', description: 'The metric epoch as UNIX timestamp' },
        value: { type: 'number', description: 'Seconds of CPU time used since the metric epoch' },
      },
      additionalProperties: false,
    },
    c2s: { type: 'integer', description: 'Number of active c2s sessions (Canto: only when a module measures canto_mod_c2s/connections; none does)' },
    uploads: { type: 'integer', description: 'Disk space used by uploaded files (Canto: only when a module measures canto_mod_http_file_share/total_storage_bytes; none does)' },
  },
  required: ['memory', 'cpu'],
  additionalProperties: false,
} as const;

export const Error = {
  type: 'object',
  description: "Prosody's util.error shape",
  properties: {
    type: { type: 'string', enum: ['cancel', 'continue', 'modify', 'auth', 'wait'] },
    condition: { type: 'string' },
    text: { type: 'string' },
    extra: { type: 'object', additionalProperties: { type: 'string' } },
  },
  required: ['type', 'condition'],
  additionalProperties: false,
} as const;
