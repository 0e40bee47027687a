/**
 * The syntax tree the parser builds and the interpreter walks. Every node keeps its line and
 * column so that runtime errors can point at the exact place. Names are resolved while parsing:
 * a `LocalVar` is one declared local; anything else is a global (an option, in a config file).
 */
import type { LuaNumber } from './value.js';

export interface Node {
  line: number;
  column: number;
}

export interface LocalVar {
  name: string;
  /** Nesting depth of the function that declared it; a use from deeper is an upvalue. */
  fnDepth: number;
  attrib: 'const' | 'close' | undefined;
}

export interface Block {
  stats: Stat[];
}

export interface FunctionExpr extends Node {
  k: 'function';
  params: LocalVar[];
  isVararg: boolean;
  body: Block;
  /** "f", "t.f" or "t:m" for `function f()` forms; undefined for anonymous functions. */
  name: string | undefined;
}

export interface TableField extends Node {
  /** 'item' is a positional `v`; 'named' is `k = v`; 'keyed' is `[k] = v`. */
  kind: 'item' | 'named' | 'keyed';
  key: Expr | string | undefined;
  value: Expr;
}

export type Expr = Node &
  (
    | { k: 'nil' }
    | { k: 'true' }
    | { k: 'false' }
    | { k: 'number'; value: LuaNumber }
    | { k: 'string'; value: string }
    | { k: 'vararg' }
    | FunctionExpr
    | { k: 'table'; fields: TableField[] }
    | { k: 'binop'; op: string; left: Expr; right: Expr }
    | { k: 'and'; left: Expr; right: Expr }
    | { k: 'or'; left: Expr; right: Expr }
    | { k: 'unop'; op: string; operand: Expr }
    | { k: 'local'; v: LocalVar; upvalue: boolean }
    | { k: 'global'; name: string }
    | { k: 'index'; obj: Expr; key: Expr }
    | { k: 'call'; fn: Expr; args: Expr[] }
    | { k: 'method'; obj: Expr; name: string; args: Expr[] }
    | { k: 'paren'; expr: Expr }
  );

export type CallExpr = Extract<Expr, { k: 'call' } | { k: 'method' }>;
export type AssignTarget = Extract<Expr, { k: 'local' } | { k: 'global' } | { k: 'index' }>;

export type Stat = Node &
  (
    | { k: 'local'; vars: LocalVar[]; exprs: Expr[] }
    | { k: 'localfunction'; v: LocalVar; func: FunctionExpr }
    | { k: 'assign'; targets: AssignTarget[]; exprs: Expr[] }
    | { k: 'call'; call: CallExpr }
    | { k: 'do'; body: Block }
    | { k: 'while'; cond: Expr; body: Block }
    | { k: 'repeat'; body: Block; cond: Expr }
    | { k: 'if'; clauses: { cond: Expr; body: Block }[]; orelse: Block | undefined }
    | { k: 'numfor'; v: LocalVar; start: Expr; limit: Expr; step: Expr | undefined; body: Block }
    | { k: 'genfor'; vars: LocalVar[]; exprs: Expr[]; body: Block }
    | { k: 'return'; exprs: Expr[] }
    | { k: 'break' }
  );
