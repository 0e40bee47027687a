/** A Lua syntax error with where it happened; read-config turns it into ERR_CONFIG_PARSE. */
import type { SourcePosition } from '../../errors.js';

export class LuaSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: SourcePosition,
  ) {
    super(message);
  }
}
