#!/usr/bin/env node
// The server's entry point (`npm start`). Runs the build made by `npm ci` or `npm run build`.
import('../dist/bundle/runtime/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('canto: not built yet; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
});
