/**
 * mod_sample: a module made by `npx ctl module new`. It answers `GET /sample` with a
 * greeting and has one ctl command, `npx ctl mod_sample greet HOST [NAME]`.
 */
import { defineModule } from 'canto/module-api';
import { options } from './options.js';
import type { SampleApi, SampleOptions } from './types.js';

export type { SampleApi, SampleOptions } from './types.js';

export default defineModule<SampleApi, SampleOptions>({
  options,

  load(module) {
    const greet = (name?: string) => `${module.options.sample_greeting}${name ? `, ${name}` : ''}!`;

    module.provides('http', {
      route: {
        // GET /sample?name=Ada -> "Hello, Ada!"
        GET: (request) => ({
          status: 200,
          headers: { 'Content-Type': 'text/plain; charset=utf-8' },
          body: greet(request.query.get('name') ?? undefined) + '\n',
        }),
      },
    });

    return { greet };
  },

  commands: {
    greet: {
      description: 'Print the greeting, to NAME when given',
      args: [{ name: 'NAME', description: 'who to greet', optional: true }],
      run({ api, args, out }) {
        out(api.greet(args[0]));
      },
    },
  },
});
