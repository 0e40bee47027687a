/**
 * A tree-walking Lua 5.4 interpreter, sized for config files: no coroutines, no goto, a small
 * set of metamethods (__index, __newindex, __call, __tostring, __len, __concat, __eq, __lt, __le,
 * arithmetic). Globals go through a `ChunkEnv`, which is where the config semantics live.
 */
import type { SourcePosition } from '../../errors.js';
import type { Block, Expr, FunctionExpr, LocalVar, Node, Stat } from './ast.js';
import {
  LuaError,
  LuaFunction,
  LuaTable,
  isFloat,
  isNumber,
  luaType,
  makeFloat,
  num,
  parseNumber,
  rawToString,
  truthy,
  type LuaNumber,
  type LuaValue,
} from './value.js';

/** How one chunk (file) reads and writes its globals. */
export interface ChunkEnv {
  readonly file: string;
  getGlobal(name: string, at: SourcePosition): LuaValue;
  setGlobal(name: string, value: LuaValue, at: SourcePosition): void;
}

// Deep enough for any config; shallow enough that the JS stack never overflows first.
const MAX_DEPTH = 180;

/**
 * Statements and loop turns a config may take. Real configs take a few hundred; this many is
 * a second or two of work, so `while true do end` fails fast with its position instead of
 * hanging start-up and `ctl check`.
 */
export const STEP_BUDGET = 5_000_000;

/**
 * The config ran out of steps. Not a LuaError, so `pcall` cannot catch it and loop forever.
 */
export class StepBudgetError extends Error {
  readonly position: SourcePosition;
  constructor(budget: number, position: SourcePosition) {
    super(`did not finish: still running after ${budget} steps (an endless loop?)`);
    this.position = position;
  }
}

const BREAK = Symbol('break');
type Flow = undefined | typeof BREAK | LuaValue[];

class Scope {
  readonly vars = new Map<LocalVar, LuaValue>();
  constructor(
    readonly parent: Scope | undefined,
    readonly chunk: ChunkEnv,
    readonly varargs: LuaValue[],
  ) {}

  lookup(v: LocalVar): Scope | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.vars.has(v)) return s;
    return undefined;
  }
}

const ARITH_EVENTS: Record<string, string> = {
  '+': '__add', '-': '__sub', '*': '__mul', '/': '__div', '%': '__mod', '^': '__pow', '//': '__idiv',
  '&': '__band', '|': '__bor', '~': '__bxor', '<<': '__shl', '>>': '__shr',
};

export class Interpreter {
  /** Call sites of the active calls, innermost last (error levels, stack depth). */
  readonly callStack: SourcePosition[] = [];
  /** Where each `name = value` field of a table constructor was, for table-form options. */
  readonly fieldPositions = new WeakMap<LuaTable, Map<string, SourcePosition>>();
  /** The `string` library, also the __index of every string value. */
  stringLib: LuaTable | undefined;
  /** What getmetatable("") returns. */
  stringMeta: LuaTable | undefined;
  readonly #budget: number;
  #steps = 0;

  constructor(stepBudget = STEP_BUDGET) {
    this.#budget = stepBudget;
  }

  /** Count one step of `node`; past the budget, stop the whole evaluation there. */
  #tick(node: Node, chunk: ChunkEnv): void {
    if (++this.#steps > this.#budget) throw new StepBudgetError(this.#budget, { file: chunk.file, line: node.line, column: node.column });
  }

  runChunk(block: Block, env: ChunkEnv): LuaValue[] {
    const scope = new Scope(undefined, env, []);
    try {
      const flow = this.#execBlock(block, scope);
      return Array.isArray(flow) ? flow : [];
    } catch (err) {
      if (err instanceof RangeError) throw new LuaError('stack overflow', undefined, this.callStack.at(-1));
      throw err;
    }
  }

  // ---- errors ----

  error(node: Node, chunk: ChunkEnv, message: string): LuaError {
    const position = { file: chunk.file, line: node.line, column: node.column };
    return new LuaError(message, `${chunk.file}:${node.line}: ${message}`, position);
  }

  /** "(global 'x')", "(field 'y')"... as Lua names the culprit of an error. */
  #describe(e: Expr): string {
    switch (e.k) {
      case 'local':
        return ` (${e.upvalue ? 'upvalue' : 'local'} '${e.v.name}')`;
      case 'global':
        return ` (global '${e.name}')`;
      case 'index':
        return e.key.k === 'string' ? ` (field '${e.key.value}')` : '';
      case 'method':
        return ` (method '${e.name}')`;
      case 'string':
        return ` (constant '${e.value}')`;
      default:
        return '';
    }
  }

  // ---- calls ----

  /** `method`: called as `obj:name()`, so argument numbers in errors do not count `self`. */
  call(fn: LuaValue, args: LuaValue[], at?: SourcePosition, method = false): LuaValue[] {
    if (!(fn instanceof LuaFunction)) {
      const mm = this.metamethod(fn, '__call');
      if (mm === undefined) throw new LuaError(`attempt to call a ${luaType(fn)} value`);
      return this.call(mm, [fn, ...args], at);
    }
    if (this.callStack.length >= MAX_DEPTH) throw new LuaError('stack overflow');
    this.callStack.push(at ?? this.callStack.at(-1) ?? { file: '?', line: 0, column: 0 });
    try {
      return fn.call(args);
    } catch (err) {
      if (err instanceof LuaError && err.position === undefined && method) {
        err.message = err.message.replace(/^bad argument #(\d+) to '([^']+)'/, (_, n: string, name: string) =>
          n === '1' ? `calling '${name}' on bad self` : `bad argument #${Number(n) - 1} to '${name}'`,
        );
        err.value = err.message;
      }
      if (err instanceof LuaError && err.position === undefined && at) {
        // A native function failed: blame the call site, as Lua does.
        err.position = at;
        if (typeof err.value === 'string' && err.value === err.message) err.value = `${at.file}:${at.line}: ${err.message}`;
      }
      throw err;
    } finally {
      this.callStack.pop();
    }
  }

  #callExpr(e: Extract<Expr, { k: 'call' } | { k: 'method' }>, scope: Scope): LuaValue[] {
    let fn: LuaValue;
    let args: LuaValue[];
    if (e.k === 'method') {
      const self = this.#eval(e.obj, scope);
      fn = this.#index(self, e.name, e, scope, e.obj);
      args = [self, ...this.#evalList(e.args, scope)];
    } else {
      fn = this.#eval(e.fn, scope);
      args = this.#evalList(e.args, scope);
    }
    if (!(fn instanceof LuaFunction) && this.metamethod(fn, '__call') === undefined) {
      const desc = e.k === 'method' ? ` (method '${e.name}')` : this.#describe(e.fn);
      throw this.error(e, scope.chunk, `attempt to call a ${luaType(fn)} value${desc}`);
    }
    return this.call(fn, args, { file: scope.chunk.file, line: e.line, column: e.column }, e.k === 'method');
  }

  #closure(f: FunctionExpr, scope: Scope): LuaFunction {
    return new LuaFunction((args) => {
      const inner = new Scope(scope, scope.chunk, f.isVararg ? args.slice(f.params.length) : []);
      f.params.forEach((p, i) => inner.vars.set(p, args[i]));
      const flow = this.#execBlock(f.body, inner);
      return Array.isArray(flow) ? flow : [];
    }, f.name);
  }

  // ---- metatables ----

  metamethod(v: LuaValue, event: string): LuaValue {
    if (v instanceof LuaTable) return v.metatable?.get(event);
    return undefined;
  }

  index(obj: LuaValue, key: LuaValue): LuaValue {
    for (let depth = 0; depth < 100; depth++) {
      if (obj instanceof LuaTable) {
        const v = obj.get(key);
        if (v !== undefined) return v;
        const h = obj.metatable?.get('__index');
        if (h === undefined) return undefined;
        if (h instanceof LuaFunction) return this.call(h, [obj, key])[0];
        obj = h;
      } else if (typeof obj === 'string') {
        return this.stringLib?.get(key);
      } else {
        const h = this.metamethod(obj, '__index');
        if (h === undefined) throw new LuaError(`attempt to index a ${luaType(obj)} value`);
        obj = h;
      }
    }
    throw new LuaError("'__index' chain too long; possible loop");
  }

  #index(obj: LuaValue, key: LuaValue, node: Node, scope: Scope, objExpr: Expr): LuaValue {
    if (!(obj instanceof LuaTable) && typeof obj !== 'string') {
      const what = objExpr.k === 'index' || objExpr.k === 'local' || objExpr.k === 'global' ? this.#describe(objExpr) : '';
      throw this.error(node, scope.chunk, `attempt to index a ${luaType(obj)} value${what}`);
    }
    return this.#at(node, scope, () => this.index(obj, key));
  }

  setIndex(obj: LuaValue, key: LuaValue, value: LuaValue): void {
    for (let depth = 0; depth < 100; depth++) {
      if (!(obj instanceof LuaTable)) {
        const h = this.metamethod(obj, '__newindex');
        if (h === undefined) throw new LuaError(`attempt to index a ${luaType(obj)} value`);
        if (h instanceof LuaFunction) {
          this.call(h, [obj, key, value]);
          return;
        }
        obj = h;
        continue;
      }
      const h = obj.metatable?.get('__newindex');
      if (h === undefined || obj.get(key) !== undefined) {
        if (key === undefined) throw new LuaError('table index is nil');
        if (typeof key === 'number' && Number.isNaN(key)) throw new LuaError('table index is NaN');
        obj.set(key, value);
        return;
      }
      if (h instanceof LuaFunction) {
        this.call(h, [obj, key, value]);
        return;
      }
      obj = h;
    }
    throw new LuaError("'__newindex' chain too long; possible loop");
  }

  /** Run `fn`, giving errors without a position the position of `node`. */
  #at<T>(node: Node, scope: Scope, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof LuaError && err.position === undefined) throw this.error(node, scope.chunk, err.message);
      throw err;
    }
  }

  tostring(v: LuaValue): string {
    const mm = this.metamethod(v, '__tostring');
    if (mm !== undefined) {
      const r = this.call(mm, [v])[0];
      if (typeof r !== 'string') throw new LuaError("'__tostring' must return a string");
      return r;
    }
    const name = this.metamethod(v, '__name');
    if (typeof name === 'string' && v instanceof LuaTable) return rawToString(v).replace(/^table/, name);
    return rawToString(v);
  }

  // ---- statements ----

  #execBlock(block: Block, scope: Scope): Flow {
    for (const s of block.stats) {
      const flow = this.#exec(s, scope);
      if (flow !== undefined) return flow;
    }
    return undefined;
  }

  #exec(s: Stat, scope: Scope): Flow {
    this.#tick(s, scope.chunk);
    switch (s.k) {
      case 'local': {
        const values = this.#evalList(s.exprs, scope);
        s.vars.forEach((v, i) => scope.vars.set(v, values[i]));
        return undefined;
      }
      case 'localfunction':
        scope.vars.set(s.v, undefined);
        scope.vars.set(s.v, this.#closure(s.func, scope));
        return undefined;
      case 'assign':
        this.#assign(s, scope);
        return undefined;
      case 'call':
        this.#callExpr(s.call, scope);
        return undefined;
      case 'do':
        return this.#execBlock(s.body, new Scope(scope, scope.chunk, scope.varargs));
      case 'while':
        while (truthy(this.#eval(s.cond, scope))) {
          this.#tick(s, scope.chunk);
          const flow = this.#execBlock(s.body, new Scope(scope, scope.chunk, scope.varargs));
          if (flow === BREAK) break;
          if (flow) return flow;
        }
        return undefined;
      case 'repeat':
        for (;;) {
          this.#tick(s, scope.chunk);
          const inner = new Scope(scope, scope.chunk, scope.varargs);
          const flow = this.#execBlock(s.body, inner);
          if (flow === BREAK) break;
          if (flow) return flow;
          if (truthy(this.#eval(s.cond, inner))) break;
        }
        return undefined;
      case 'if':
        for (const c of s.clauses) {
          if (truthy(this.#eval(c.cond, scope))) return this.#execBlock(c.body, new Scope(scope, scope.chunk, scope.varargs));
        }
        return s.orelse ? this.#execBlock(s.orelse, new Scope(scope, scope.chunk, scope.varargs)) : undefined;
      case 'numfor':
        return this.#numFor(s, scope);
      case 'genfor':
        return this.#genFor(s, scope);
      case 'return':
        if (s.exprs.length === 1 && (s.exprs[0]!.k === 'call' || s.exprs[0]!.k === 'method')) {
          return this.#callExpr(s.exprs[0] as Extract<Expr, { k: 'call' }>, scope);
        }
        return this.#evalList(s.exprs, scope);
      case 'break':
        return BREAK;
    }
  }

  #assign(s: Extract<Stat, { k: 'assign' }>, scope: Scope): void {
    // Evaluate table and key expressions of the targets, then the values, then assign.
    const refs = s.targets.map((t) => (t.k === 'index' ? { obj: this.#eval(t.obj, scope), key: this.#eval(t.key, scope) } : undefined));
    const values = this.#evalList(s.exprs, scope);
    s.targets.forEach((t, i) => {
      const value = values[i];
      if (t.k === 'local') {
        (scope.lookup(t.v) ?? scope).vars.set(t.v, value);
      } else if (t.k === 'global') {
        const at = { file: scope.chunk.file, line: t.line, column: t.column };
        this.#at(t, scope, () => scope.chunk.setGlobal(t.name, value, at));
      } else {
        const { obj, key } = refs[i]!;
        if (!(obj instanceof LuaTable) && this.metamethod(obj, '__newindex') === undefined) {
          throw this.error(t, scope.chunk, `attempt to index a ${luaType(obj)} value${this.#describe(t.obj)}`);
        }
        this.#at(t, scope, () => this.setIndex(obj, key, value));
      }
    });
  }

  #numFor(s: Extract<Stat, { k: 'numfor' }>, scope: Scope): Flow {
    // Lua 5.4 forprep: numeric strings count as floats; anything else is an error.
    const check = (v: LuaValue, what: string): LuaNumber => {
      if (isNumber(v)) return v;
      const n = typeof v === 'string' ? parseNumber(v) : undefined;
      if (n === undefined) throw this.error(s, scope.chunk, `bad 'for' ${what} (number expected, got ${luaType(v)})`);
      return makeFloat(num(n));
    };
    const start = check(this.#eval(s.start, scope), 'initial value');
    const limit = check(this.#eval(s.limit, scope), 'limit');
    const step = s.step ? check(this.#eval(s.step, scope), 'step') : 1;
    if (num(step) === 0) throw this.error(s, scope.chunk, "'for' step is zero");
    if (!isFloat(start) && !isFloat(step)) return this.#intFor(s, scope, num(start), limit, num(step));
    // A float loop: skipped only when the limit is already passed (so a NaN limit gives one
    // turn, as in Lua), then stepping while the index is within the limit.
    const lim = num(limit);
    const stepN = num(step);
    let i = num(start);
    if (stepN > 0 ? lim < i : i < lim) return undefined;
    do {
      const flow = this.#forBody(s, scope, makeFloat(i));
      if (flow === BREAK) break;
      if (flow) return flow;
      i += stepN;
    } while (stepN > 0 ? i <= lim : i >= lim);
    return undefined;
  }

  /**
   * An integer loop as Lua 5.4's forprep: the limit clipped to an integer, the number of turns
   * counted before the first one, so a loop up to math.maxinteger ends instead of overflowing.
   */
  #intFor(s: Extract<Stat, { k: 'numfor' }>, scope: Scope, start: number, limit: LuaNumber, step: number): Flow {
    let lim = num(limit);
    if (isFloat(limit)) lim = step > 0 ? Math.floor(lim) : Math.ceil(lim);
    // COMPAT: integers are JS numbers here (math.maxinteger is 2^63), so the clip is to ±2^63.
    // A NaN limit is "not above zero" to Lua: the loop is skipped going up, runs down to mininteger.
    if (Number.isNaN(lim)) lim = -(2 ** 63);
    lim = Math.min(Math.max(lim, -(2 ** 63)), 2 ** 63);
    if (step > 0 ? start > lim : start < lim) return undefined;
    const turns = Math.floor(step > 0 ? (lim - start) / step : (start - lim) / -step);
    let i = start;
    for (let k = 0; k <= turns; k++, i += step) {
      const flow = this.#forBody(s, scope, i);
      if (flow === BREAK) break;
      if (flow) return flow;
    }
    return undefined;
  }

  #forBody(s: Extract<Stat, { k: 'numfor' }>, scope: Scope, value: LuaNumber): Flow {
    this.#tick(s, scope.chunk);
    const inner = new Scope(scope, scope.chunk, scope.varargs);
    inner.vars.set(s.v, value);
    return this.#execBlock(s.body, inner);
  }

  #genFor(s: Extract<Stat, { k: 'genfor' }>, scope: Scope): Flow {
    const [f, state, initial] = this.#evalList(s.exprs, scope);
    let control = initial;
    const at = { file: scope.chunk.file, line: s.line, column: s.column };
    if (!(f instanceof LuaFunction) && this.metamethod(f, '__call') === undefined) {
      throw this.error(s, scope.chunk, `attempt to call a ${luaType(f)} value`);
    }
    for (;;) {
      this.#tick(s, scope.chunk);
      const results = this.call(f, [state, control], at);
      if (results[0] === undefined) break;
      control = results[0];
      const inner = new Scope(scope, scope.chunk, scope.varargs);
      s.vars.forEach((v, i) => inner.vars.set(v, results[i]));
      const flow = this.#execBlock(s.body, inner);
      if (flow === BREAK) break;
      if (flow) return flow;
    }
    return undefined;
  }

  // ---- expressions ----

  /** Evaluate a list where only the last expression may give several values. */
  #evalList(exprs: Expr[], scope: Scope): LuaValue[] {
    const out: LuaValue[] = [];
    for (let i = 0; i < exprs.length; i++) {
      const e = exprs[i]!;
      if (i === exprs.length - 1) out.push(...this.#evalMulti(e, scope));
      else out.push(this.#eval(e, scope));
    }
    return out;
  }

  #evalMulti(e: Expr, scope: Scope): LuaValue[] {
    if (e.k === 'call' || e.k === 'method') return this.#callExpr(e, scope);
    if (e.k === 'vararg') return scope.varargs;
    return [this.#eval(e, scope)];
  }

  #eval(e: Expr, scope: Scope): LuaValue {
    switch (e.k) {
      case 'nil':
        return undefined;
      case 'true':
        return true;
      case 'false':
        return false;
      case 'number':
      case 'string':
        return e.value;
      case 'vararg':
        return scope.varargs[0];
      case 'function':
        return this.#closure(e, scope);
      case 'table':
        return this.#table(e, scope);
      case 'local': {
        const s = scope.lookup(e.v);
        return s ? s.vars.get(e.v) : undefined;
      }
      case 'global': {
        const at = { file: scope.chunk.file, line: e.line, column: e.column };
        return this.#at(e, scope, () => scope.chunk.getGlobal(e.name, at));
      }
      case 'index':
        return this.#index(this.#eval(e.obj, scope), this.#eval(e.key, scope), e, scope, e.obj);
      case 'call':
      case 'method':
        return this.#callExpr(e, scope)[0];
      case 'paren':
        return this.#eval(e.expr, scope);
      case 'and': {
        const l = this.#eval(e.left, scope);
        return truthy(l) ? this.#eval(e.right, scope) : l;
      }
      case 'or': {
        const l = this.#eval(e.left, scope);
        return truthy(l) ? l : this.#eval(e.right, scope);
      }
      case 'unop':
        return this.#unop(e, scope);
      case 'binop':
        return this.#binop(e, scope);
    }
  }

  #table(e: Extract<Expr, { k: 'table' }>, scope: Scope): LuaTable {
    const t = new LuaTable();
    let positions: Map<string, SourcePosition> | undefined;
    let n = 1;
    e.fields.forEach((f, i) => {
      if (f.kind === 'item') {
        if (i === e.fields.length - 1) {
          for (const v of this.#evalMulti(f.value, scope)) t.set(n++, v);
        } else {
          t.set(n++, this.#eval(f.value, scope));
        }
        return;
      }
      const key = f.kind === 'named' ? (f.key as string) : this.#eval(f.key as Expr, scope);
      if (key === undefined) throw this.error(f, scope.chunk, 'table index is nil');
      if (typeof key === 'number' && Number.isNaN(key)) throw this.error(f, scope.chunk, 'table index is NaN');
      t.set(key, this.#eval(f.value, scope));
      if (typeof key === 'string') {
        positions ??= new Map();
        positions.set(key, { file: scope.chunk.file, line: f.line, column: f.column });
      }
    });
    if (positions) this.fieldPositions.set(t, positions);
    return t;
  }

  #unop(e: Extract<Expr, { k: 'unop' }>, scope: Scope): LuaValue {
    const v = this.#eval(e.operand, scope);
    switch (e.op) {
      case 'not':
        return !truthy(v);
      case '#': {
        if (typeof v === 'string') return v.length;
        const mm = this.metamethod(v, '__len');
        if (mm !== undefined) return this.#at(e, scope, () => this.call(mm, [v])[0]);
        if (v instanceof LuaTable) return v.length();
        throw this.error(e, scope.chunk, `attempt to get length of a ${luaType(v)} value${this.#describe(e.operand)}`);
      }
      case '-': {
        const n = typeof v === 'string' ? parseNumber(v) : isNumber(v) ? v : undefined;
        if (n !== undefined) return typeof n === 'number' && Number.isInteger(n) ? (n === 0 ? 0 : -n) : makeFloat(-num(n));
        const mm = this.metamethod(v, '__unm');
        if (mm !== undefined) return this.#at(e, scope, () => this.call(mm, [v, v])[0]);
        throw this.error(e, scope.chunk, `attempt to perform arithmetic on a ${luaType(v)} value${this.#describe(e.operand)}`);
      }
      default: {
        // '~' bitwise not
        const n = this.#toInteger(v, e, scope, e.operand);
        return Number(BigInt.asIntN(64, ~BigInt(n)));
      }
    }
  }

  #toInteger(v: LuaValue, node: Node, scope: Scope, operand: Expr): number {
    // Lua 5.4 coerces strings for arithmetic only (string metamethods), not for bitwise operators.
    const n = isNumber(v) ? v : undefined;
    if (n === undefined) {
      throw this.error(node, scope.chunk, `attempt to perform bitwise operation on a ${luaType(v)} value${this.#describe(operand)}`);
    }
    if (!Number.isInteger(num(n))) throw this.error(node, scope.chunk, 'number has no integer representation');
    return num(n);
  }

  #binop(e: Extract<Expr, { k: 'binop' }>, scope: Scope): LuaValue {
    const a = this.#eval(e.left, scope);
    const b = this.#eval(e.right, scope);
    switch (e.op) {
      case '==':
        return this.equals(a, b);
      case '~=':
        return !this.equals(a, b);
      case '<':
        return this.#compare(a, b, '__lt', e, scope);
      case '<=':
        return this.#compare(a, b, '__le', e, scope);
      case '>':
        return this.#compare(b, a, '__lt', e, scope);
      case '>=':
        return this.#compare(b, a, '__le', e, scope);
      case '..':
        return this.#concat(a, b, e, scope);
      case '&':
      case '|':
      case '~':
      case '<<':
      case '>>':
        return this.#bitwise(e, a, b, scope);
      default:
        return this.#arith(e, a, b, scope);
    }
  }

  equals(a: LuaValue, b: LuaValue): boolean {
    if (a === b) return true;
    if (isNumber(a) && isNumber(b)) return num(a) === num(b);
    if (a instanceof LuaTable && b instanceof LuaTable) {
      const mm = this.metamethod(a, '__eq') ?? this.metamethod(b, '__eq');
      if (mm !== undefined) return truthy(this.call(mm, [a, b])[0]);
    }
    return false;
  }

  #compare(a: LuaValue, b: LuaValue, event: '__lt' | '__le', e: Node, scope: Scope): boolean {
    if (isNumber(a) && isNumber(b)) return event === '__lt' ? num(a) < num(b) : num(a) <= num(b);
    if (typeof a === 'string' && typeof b === 'string') return event === '__lt' ? a < b : a <= b;
    const mm = this.metamethod(a, event) ?? this.metamethod(b, event);
    if (mm !== undefined) return truthy(this.#at(e, scope, () => this.call(mm, [a, b])[0]));
    const ta = luaType(a);
    const tb = luaType(b);
    throw this.error(e, scope.chunk, ta === tb ? `attempt to compare two ${ta} values` : `attempt to compare ${ta} with ${tb}`);
  }

  #concat(a: LuaValue, b: LuaValue, e: Extract<Expr, { k: 'binop' }>, scope: Scope): LuaValue {
    const ok = (v: LuaValue): v is string | LuaNumber => typeof v === 'string' || isNumber(v);
    if (ok(a) && ok(b)) return rawToString(a) + rawToString(b);
    const mm = this.metamethod(a, '__concat') ?? this.metamethod(b, '__concat');
    if (mm !== undefined) return this.#at(e, scope, () => this.call(mm, [a, b])[0]);
    const [bad, badExpr] = ok(a) ? [b, e.right] : [a, e.left];
    throw this.error(badExpr, scope.chunk, `attempt to concatenate a ${luaType(bad)} value${this.#describe(badExpr)}`);
  }

  #arith(e: Extract<Expr, { k: 'binop' }>, a: LuaValue, b: LuaValue, scope: Scope): LuaValue {
    const x = typeof a === 'string' ? parseNumber(a) : isNumber(a) ? a : undefined;
    const y = typeof b === 'string' ? parseNumber(b) : isNumber(b) ? b : undefined;
    if (x === undefined || y === undefined) {
      const mm = this.metamethod(a, ARITH_EVENTS[e.op]!) ?? this.metamethod(b, ARITH_EVENTS[e.op]!);
      if (mm !== undefined) return this.#at(e, scope, () => this.call(mm, [a, b])[0]);
      const [bad, badExpr] = x === undefined ? [a, e.left] : [b, e.right];
      throw this.error(badExpr, scope.chunk, `attempt to perform arithmetic on a ${luaType(bad)} value${this.#describe(badExpr)}`);
    }
    return this.arith(e.op, x, y, (msg) => this.error(e, scope.chunk, msg));
  }

  /** Arithmetic on two numbers with Lua 5.4's integer/float rules. */
  arith(op: string, x: LuaNumber, y: LuaNumber, fail: (msg: string) => Error): LuaNumber {
    // COMPAT: integers are JS numbers, exact up to 2^53 rather than wrapping at 2^63.
    const ints = typeof x === 'number' && Number.isInteger(x) && typeof y === 'number' && Number.isInteger(y);
    const a = num(x);
    const b = num(y);
    switch (op) {
      case '+':
        return ints ? a + b : makeFloat(a + b);
      case '-':
        return ints ? a - b : makeFloat(a - b);
      case '*':
        return ints ? a * b : makeFloat(a * b);
      case '/':
        return makeFloat(a / b);
      case '^':
        return makeFloat(Math.pow(a, b));
      case '//':
        if (ints) {
          if (b === 0) throw fail("attempt to perform 'n//0'");
          return Math.floor(a / b);
        }
        return makeFloat(Math.floor(a / b));
      case '%': {
        if (ints && b === 0) throw fail("attempt to perform 'n%%0'");
        let r: number;
        if (!ints && !Number.isFinite(b) && Number.isFinite(a)) r = a !== 0 && a < 0 !== b < 0 ? b : a;
        else {
          r = a % b;
          if (r !== 0 && r < 0 !== b < 0) r += b;
        }
        return ints ? r : makeFloat(r);
      }
      default:
        throw fail(`unknown operator ${op}`);
    }
  }

  #bitwise(e: Extract<Expr, { k: 'binop' }>, a: LuaValue, b: LuaValue, scope: Scope): LuaValue {
    const mm = this.metamethod(a, ARITH_EVENTS[e.op]!) ?? this.metamethod(b, ARITH_EVENTS[e.op]!);
    if (mm !== undefined) return this.#at(e, scope, () => this.call(mm, [a, b])[0]);
    const x = BigInt(this.#toInteger(a, e, scope, e.left));
    const y = BigInt(this.#toInteger(b, e, scope, e.right));
    let r: bigint;
    switch (e.op) {
      case '&':
        r = x & y;
        break;
      case '|':
        r = x | y;
        break;
      case '~':
        r = x ^ y;
        break;
      case '<<':
        r = y >= 64n || y <= -64n ? 0n : y >= 0n ? x << y : BigInt.asUintN(64, x) >> -y;
        break;
      default:
        r = y >= 64n || y <= -64n ? 0n : y >= 0n ? BigInt.asUintN(64, x) >> y : x << -y;
    }
    return Number(BigInt.asIntN(64, r));
  }
}

