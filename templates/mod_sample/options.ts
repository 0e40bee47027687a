/**
 * mod_sample's option schema (JSON Schema, checked with ajv when the module loads and by
 * `npx ctl check`, with the config line of a bad value). Defaults are filled in.
 */
import type { OptionsSchema } from 'canto/module-api';
import type { SampleOptions } from './types.js';

/** Typed against SampleOptions: an option the type has and the schema lacks (or the other way round) does not compile. */
export const options: OptionsSchema<SampleOptions> = {
  type: 'object',
  properties: {
    sample_greeting: { type: 'string', minLength: 1, default: 'Hello' },
  },
};
