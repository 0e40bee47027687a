/**
 * mod_password_policy (prosody-modules): a minimum length and no username inside the password,
 * with the module's own messages. Registration modules call `checkPassword`.
 */
import { defineModule } from 'canto/module-api';
import type { PasswordPolicy, PasswordPolicyApi } from './types.js';

interface Options {
  password_policy: PasswordPolicy;
}

export default defineModule<PasswordPolicyApi, Options>({
  options: {
    type: 'object',
    properties: {
      password_policy: {
        type: 'object',
        properties: {
          length: { type: 'integer', minimum: 1, maximum: 1024, default: 8 },
          exclude_username: { type: 'boolean', default: true },
        },
        required: [],
        default: { length: 8, exclude_username: true },
      },
    },
  },

  load(module) {
    const policy = Object.freeze({ ...module.options.password_policy });
    return {
      getPolicy: () => policy,
      checkPassword(password, info) {
        if (password === '') return { ok: false, message: 'No password provided', policy: 'no-password' };
        // Lua's # counts bytes; counting characters is what a person typing means by "length".
        // COMPAT: Prosody would let four accented letters (eight bytes) pass a length of 8.
        if ([...password].length < policy.length) {
          return { ok: false, message: `Password is too short (minimum ${policy.length} characters)`, policy: 'length' };
        }
        const username = info?.username;
        if (policy.exclude_username && username && password.toLowerCase().includes(username.toLowerCase())) {
          return { ok: false, message: 'Password must not include your username', policy: 'username' };
        }
        return { ok: true };
      },
    };
  },
});
