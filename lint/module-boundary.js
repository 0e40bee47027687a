// @ts-check
/**
 * ESLint rule `canto/module-boundary`: a module (any file inside a `mod_<name>/` folder) may
 * import Node built-ins, npm packages, `canto/module-api`, and its own files; from another
 * module only `import type` of that module's `types.ts` (for a typed `depends()`). Never
 * `runtime/`, `ctl/` or any other Canto internals: everything a module may use is exported by
 * `canto/module-api`, so the host is free to change the rest.
 */
import { dirname, relative, resolve, sep } from 'node:path';

/** The `mod_<name>` folder a file belongs to (the innermost one), or undefined. */
function moduleRoot(file) {
  const parts = file.split(sep);
  for (let i = parts.length - 2; i >= 0; i--) {
    if (/^mod_[A-Za-z0-9_]+$/.test(parts[i] ?? '')) return parts.slice(0, i + 1).join(sep);
  }
  return undefined;
}

const OTHER_MODULE_TYPES = /^\.\.[\\/]mod_[A-Za-z0-9_]+[\\/]types\.(?:js|ts)$/;

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: "modules import only canto/module-api, their own files, and `import type` of another module's types.ts" },
    schema: [],
    messages: {
      canto: "'{{source}}' is not a public entry: modules import canto/module-api",
      outside: "'{{source}}' is outside this module: import what the host offers from canto/module-api",
      otherModule: "'{{source}}' belongs to another module: use depends() and `import type` from its types.ts",
      typeOnly: "'{{source}}' may be imported only with `import type` (values come from depends())",
    },
  },
  create(context) {
    const file = context.filename;
    const root = moduleRoot(file);
    if (!root) return {};
    const tests = /\.test\.[cm]?[jt]s$/.test(file);

    /**
     * @param {import('estree').Node | null | undefined} sourceNode
     * @param {boolean} typeOnly
     */
    function check(sourceNode, typeOnly) {
      if (!sourceNode || sourceNode.type !== 'Literal' || typeof sourceNode.value !== 'string') return;
      const source = sourceNode.value;
      if (source === 'canto' || source.startsWith('canto/')) {
        if (source !== 'canto/module-api' && !(tests && source === 'canto/testing')) context.report({ node: sourceNode, messageId: 'canto', data: { source } });
        return;
      }
      if (!source.startsWith('.') && !source.startsWith('/')) return; // node: built-ins and npm packages
      const target = resolve(dirname(file), source);
      const fromRoot = relative(root, target);
      if (!fromRoot.startsWith('..') && !fromRoot.startsWith(sep)) return; // the module's own file
      if (!OTHER_MODULE_TYPES.test(fromRoot)) {
        const other = moduleRoot(target);
        context.report({ node: sourceNode, messageId: other && other !== root ? 'otherModule' : 'outside', data: { source } });
      } else if (!typeOnly) {
        context.report({ node: sourceNode, messageId: 'typeOnly', data: { source } });
      }
    }

    /** @param {{ importKind?: string, exportKind?: string }} node */
    const isTypeOnly = (node) => node.importKind === 'type' || node.exportKind === 'type';

    return {
      ImportDeclaration: (node) => check(node.source, isTypeOnly(node)),
      ExportNamedDeclaration: (node) => check(node.source, isTypeOnly(node)),
      ExportAllDeclaration: (node) => check(node.source, isTypeOnly(node)),
      ImportExpression: (node) => check(node.source, false),
    };
  },
};
