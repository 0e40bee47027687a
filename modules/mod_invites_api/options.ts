/** mod_invites_api's options: throttling of failed authentication, per client address. */
export interface InvitesApiOptions {
  /** Failed attempts allowed within the window before the client gets 429. */
  invites_api_max_failures: number;
  /** Seconds from a client's first failure until its count starts again. */
  invites_api_failure_window: number;
}

export const optionsSchema = {
  type: 'object',
  properties: {
    invites_api_max_failures: { type: 'integer', minimum: 1, default: 10 },
    invites_api_failure_window: { type: 'integer', minimum: 1, default: 60 },
  },
} as const;
