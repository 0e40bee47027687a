/** mod_password_policy's public API (`await module.depends('password_policy')`), as prosody-modules'. */

/** `password_policy = { length = 8; exclude_username = true }` (Prosody's defaults). */
export interface PasswordPolicy {
  length: number;
  exclude_username: boolean;
}

/** Why a password was refused: Prosody's message and policy name. */
export interface PolicyFailure {
  ok: false;
  message: string;
  policy: 'no-password' | 'length' | 'username';
}

export interface PasswordPolicyApi {
  /** The policy in force. */
  getPolicy(): Readonly<PasswordPolicy>;
  /** Check a password for an account (`username` nodeprep'd). */
  checkPassword(password: string, info?: { username?: string }): { ok: true } | PolicyFailure;
}

declare module 'canto/module-api' {
  interface ModuleApis {
    password_policy: PasswordPolicyApi;
  }
}
