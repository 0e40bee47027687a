/**
 * mod_sample's option schema (JSON Schema, checked with ajv when the module loads and by
 * `npx ctl check`, with the config line of a bad value). Defaults are filled in.
 */
import type { ModuleDefinition } from 'canto/module-api';
import type { SampleApi, SampleOptions } from './types.js';

export const options: ModuleDefinition<SampleApi, SampleOptions>['options'] = {
  type: 'object',
  properties: {
    sample_greeting: { type: 'string', minLength: 1, default: 'Hello' },
  },
  required: [],
};
