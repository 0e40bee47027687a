#!/usr/bin/env node
// The operator's door. Runs the build made by `npm ci` (prepare) or `npm run build`.
import('../dist/bundle/ctl/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('canto: not built yet; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
});
