/**
 * mod_sample's options and public API. Other modules get the API typed with
 * `await module.depends('sample')`, thanks to the `ModuleApis` declaration below.
 */

/** The options mod_sample reads, by their names in the config. */
export interface SampleOptions {
  /** What `GET /sample` and `ctl mod_sample greet` say; `sample_greeting = "Hi"` in the config. */
  sample_greeting: string;
}

/** What mod_sample's `load` returns. */
export interface SampleApi {
  /** The greeting, addressed to `name` when one is given. */
  greet(name?: string): string;
}

declare module 'canto/module-api' {
  interface ModuleApis {
    sample: SampleApi;
  }
}
