/**
 * GET /admin_api/openapi.json: an OpenAPI 3.0 document of exactly the routes this module
 * mounts, built from the same schemas the host checks bodies with. `describe` documents the
 * mounted routes and nothing else, and refuses to leave one out.
 */
import * as schemas from './schemas.js';

type Ref = { $ref: string };
const ref = (name: keyof typeof schemas): Ref => ({ $ref: `#/components/schemas/${name}` });

export interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  /** The scope a key needs; shown in the description. */
  scope: string;
  parameters?: { name: string; in: 'path' | 'query'; description: string; required?: boolean; schema: Record<string, unknown> }[];
  body?: { schema: keyof typeof schemas; required: boolean };
  /** The success status and its body (null for an empty one). */
  ok: [number, keyof typeof schemas | Record<string, unknown> | null];
  /** Error statuses besides those every operation has (401, 403, 429). */
  errors: number[];
}

const idParam = { name: 'id', in: 'path' as const, description: 'The invite id (its token)', required: true, schema: { type: 'string' } };
const userParam = { name: 'username', in: 'path' as const, description: 'The username', required: true, schema: { type: 'string' } };

export const OPERATIONS: Record<string, Operation> = {
  'GET /invites': {
    operationId: 'listInvites',
    summary: 'List invites',
    tags: ['invite'],
    scope: 'admin:invites',
    parameters: [
      { name: 'type', in: 'query', description: 'Canto: only invites of this kind', schema: { type: 'string', enum: ['account', 'group', 'reset', 'contact'] } },
      { name: 'valid', in: 'query', description: 'Canto: true (the default) for pending invites, false for expired, revoked and used ones, any for both', schema: { type: 'string', enum: ['true', 'false', 'any'] } },
      { name: 'limit', in: 'query', description: 'Canto: at most this many; the answer is then an InvitePage', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
      { name: 'cursor', in: 'query', description: "Canto: the previous page's `next`; the answer is then an InvitePage", schema: { type: 'string' } },
    ],
    ok: [200, { oneOf: [ref('InviteList'), ref('InvitePage')] }],
    errors: [400],
  },
  'GET /invites/{id}': {
    operationId: 'getInviteById',
    summary: 'Get invite by id (Canto: also expired, revoked and used ones, with their status)',
    tags: ['invite'],
    scope: 'admin:invites',
    parameters: [idParam],
    ok: [200, 'Invite'],
    errors: [400, 404],
  },
  'DELETE /invites/{id}': {
    operationId: 'deleteInvite',
    summary: 'Revoke an invite (Canto keeps its record, with revoked_at and revoked_by)',
    tags: ['invite'],
    scope: 'admin:invites',
    parameters: [idParam],
    ok: [200, null],
    errors: [400, 404],
  },
  'POST /invites/account': {
    operationId: 'createInviteForAccount',
    summary: 'Create invitation to register a new account',
    tags: ['invite'],
    scope: 'admin:invites',
    body: { schema: 'NewAccountInvite', required: false },
    ok: [200, 'Invite'],
    errors: [400, 413, 415],
  },
  'POST /invites/group': {
    operationId: 'createInviteForGroup',
    summary: 'Create group invitation',
    tags: ['invite'],
    scope: 'admin:invites',
    body: { schema: 'NewGroupInvite', required: true },
    ok: [200, 'Invite'],
    errors: [400, 413, 415],
  },
  'POST /invites/reset': {
    operationId: 'createInviteForAccountReset',
    summary: 'Create account reset invitation',
    tags: ['invite'],
    scope: 'admin:invites',
    body: { schema: 'NewResetInvite', required: true },
    ok: [200, 'Invite'],
    errors: [400, 404, 413, 415],
  },
  'GET /users': { operationId: 'listUsers', summary: 'List users', tags: ['user'], scope: 'admin:users', ok: [200, 'UserList'], errors: [] },
  'GET /users/{username}': {
    operationId: 'getUserByName',
    summary: 'Get user by user name',
    tags: ['user'],
    scope: 'admin:users',
    parameters: [userParam],
    ok: [200, 'User'],
    errors: [400, 404],
  },
  'DELETE /users/{username}': {
    operationId: 'deleteUser',
    summary: 'Delete a user account and all its data, as prosodyctl deluser',
    tags: ['user'],
    scope: 'admin:users',
    parameters: [userParam],
    ok: [200, null],
    errors: [400, 404],
  },
  'GET /server/info': { operationId: 'getServerInfo', summary: 'Get information about the server', tags: ['server'], scope: 'admin:server', ok: [200, 'ServerInfo'], errors: [] },
  'GET /server/metrics': { operationId: 'getServerMetrics', summary: 'Get metrics from the running server', tags: ['server'], scope: 'admin:server', ok: [200, 'ServerMetrics'], errors: [] },
  'GET /openapi.json': { operationId: 'getOpenApi', summary: 'This document', tags: ['server'], scope: 'none', ok: [200, { type: 'object' }], errors: [] },
};

const REASONS: Record<number, string> = {
  400: 'Invalid request: a bad field or parameter (named in extra.field), or a path that cannot be decoded',
  401: 'No valid API key (WWW-Authenticate: Bearer)',
  403: 'The API key lacks the scope',
  404: 'Not found',
  413: 'Request body too large',
  415: 'Request body is not application/json',
  429: 'Too many failed authentication attempts (Retry-After)',
};

const errorResponse = (status: number) => ({ description: REASONS[status] ?? 'Error', content: { 'application/json': { schema: ref('Error') } } });

/** The document of exactly the routes mounted under `basePath`; throws if one of them is not described. */
export function describe(routeKeys: string[], basePath: string, version: string): Record<string, unknown> {
  const missing = routeKeys.filter((k) => !OPERATIONS[k]);
  if (missing.length) throw new Error(`admin API routes without a description: ${missing.join(', ')}`);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const key of routeKeys) {
    const [method, path] = key.split(' ') as [string, string];
    const op = OPERATIONS[key]!;
    const [status, body] = op.ok;
    const success = body === null
      ? { description: 'Done (empty body)' }
      : { description: 'Successful operation', content: { 'application/json': { schema: typeof body === 'string' ? ref(body) : body } } };
    const responses: Record<string, unknown> = { [status]: success };
    const auth = op.scope === 'none' ? [] : [401, 403, 429];
    for (const e of [...op.errors, ...auth].sort()) responses[e] = errorResponse(e);
    const operation: Record<string, unknown> = {
      operationId: op.operationId,
      summary: op.summary,
      tags: op.tags,
      description: op.scope === 'none' ? 'No key needed.' : `Needs an API key with the ${op.scope} (or admin) scope.`,
      responses,
    };
    if (op.scope === 'none') operation.security = [];
    if (op.parameters) operation.parameters = op.parameters;
    if (op.body) operation.requestBody = { required: op.body.required, content: { 'application/json': { schema: ref(op.body.schema) } } };
    (paths[path] ??= {})[method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Canto administration API',
      description: "Prosody's mod_http_admin_api (prosody-modules openapi.yaml), as Canto implements it: invites, users and server information, on Canto's scoped API keys.",
      version,
    },
    servers: [{ url: basePath }],
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A Canto API key, ID/SECRET, from `npx ctl mod_invites_api create HOST NAME --scope admin`' } },
      schemas: { ...schemas },
    },
  };
}
