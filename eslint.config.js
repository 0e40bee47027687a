// @ts-check
// `npm run lint` (part of `npm test`): TypeScript syntax through typescript-eslint, and the
// module boundary (lint/module-boundary.js) on the `mod_<name>/` folders of built-in modules
// and of plugins kept in this repository.
import tseslint from 'typescript-eslint';
import moduleBoundary from './lint/module-boundary.js';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tap/**', 'bench/results/**', '**/*.d.ts'] },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { '@typescript-eslint': tseslint.plugin, canto: { rules: { 'module-boundary': moduleBoundary } } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
  {
    files: ['modules/**', 'plugins/**', 'templates/**', 'test/fixtures/**'],
    rules: { 'canto/module-boundary': 'error' },
  },
);
