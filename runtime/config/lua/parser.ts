/**
 * Lua 5.4 parser (recursive descent, shaped after lparser.c). Resolves local names while parsing.
 * Messages say what was expected and near which token, e.g. "expected '}' near 'x'".
 */
import type { AssignTarget, Block, CallExpr, Expr, FunctionExpr, LocalVar, Stat, TableField } from './ast.js';
import { Lexer, LuaSyntaxError, type Token } from './lexer.js';

// Left and right binding power of binary operators (lparser.c `priority`).
const BINARY: Record<string, [number, number]> = {
  '+': [10, 10], '-': [10, 10], '*': [11, 11], '%': [11, 11], '^': [14, 13], '/': [11, 11], '//': [11, 11],
  '&': [6, 6], '|': [4, 4], '~': [5, 5], '<<': [7, 7], '>>': [7, 7], '..': [9, 8],
  '==': [3, 3], '<': [3, 3], '<=': [3, 3], '~=': [3, 3], '>': [3, 3], '>=': [3, 3], and: [2, 2], or: [1, 1],
};
const UNARY_PRIORITY = 12;

interface FuncState {
  depth: number;
  isVararg: boolean;
  /** Innermost block last; each maps a name to the latest local of that name. */
  blocks: Map<string, LocalVar>[];
  loops: number;
  parent?: FuncState;
}

/** Lua's LUAI_MAXCCALLS: how deeply statements and expressions may nest. */
export const MAX_SYNTAX_LEVELS = 200;

export function parseChunk(src: string, file: string): Block {
  return new Parser(src, file).chunk();
}

class Parser {
  #lex: Lexer;
  #file: string;
  #tok: Token;
  #ahead: Token | undefined;
  #fs: FuncState;
  #levels = 0;

  constructor(src: string, file: string) {
    this.#lex = new Lexer(src, file);
    this.#file = file;
    this.#tok = this.#lex.next();
    // The main chunk is a vararg function.
    this.#fs = { depth: 0, isVararg: true, blocks: [new Map()], loops: 0 };
  }

  chunk(): Block {
    const block = this.#block();
    if (this.#tok.type !== 'eof') this.#error(`expected <eof> ${this.#near()}`);
    return block;
  }

  // ---- token helpers ----

  #advance(): Token {
    const t = this.#tok;
    this.#tok = this.#ahead ?? this.#lex.next();
    this.#ahead = undefined;
    return t;
  }

  #peek(): Token {
    this.#ahead ??= this.#lex.next();
    return this.#ahead;
  }

  #near(tok: Token = this.#tok): string {
    return tok.type === 'eof' ? 'near <eof>' : `near '${tok.raw}'`;
  }

  #error(message: string, tok: Token = this.#tok): never {
    throw new LuaSyntaxError(message, { file: this.#file, line: tok.line, column: tok.column });
  }

  #test(type: string): boolean {
    if (this.#tok.type !== type) return false;
    this.#advance();
    return true;
  }

  #expect(type: string): Token {
    if (this.#tok.type !== type) this.#error(`expected '${type}' ${this.#near()}`);
    return this.#advance();
  }

  /** Like lparser.c check_match: name the opener when it is on another line. */
  #expectMatch(type: string, opener: string, openTok: Token): void {
    if (this.#tok.type === type) {
      this.#advance();
      return;
    }
    const where = openTok.line === this.#tok.line ? '' : ` (to close '${opener}' at line ${openTok.line})`;
    this.#error(`expected '${type}' ${this.#near()}${where}`);
  }

  #name(): string {
    if (this.#tok.type !== 'name') this.#error(`expected <name> ${this.#near()}`);
    return this.#advance().value as string;
  }

  // ---- scopes ----

  #declare(name: string, attrib?: 'const' | 'close'): LocalVar {
    return { name, fnDepth: this.#fs.depth, attrib };
  }

  #activate(v: LocalVar): void {
    this.#fs.blocks[this.#fs.blocks.length - 1]!.set(v.name, v);
  }

  #resolve(name: string, tok: Token): Expr {
    for (let fs: FuncState | undefined = this.#fs; fs; fs = fs.parent) {
      for (let i = fs.blocks.length - 1; i >= 0; i--) {
        const v = fs.blocks[i]!.get(name);
        if (v) return { k: 'local', v, upvalue: v.fnDepth !== this.#fs.depth, line: tok.line, column: tok.column };
      }
    }
    return { k: 'global', name, line: tok.line, column: tok.column };
  }

  #scoped<T>(fn: () => T): T {
    this.#fs.blocks.push(new Map());
    try {
      return fn();
    } finally {
      this.#fs.blocks.pop();
    }
  }

  // ---- statements ----

  #blockFollows(withUntil: boolean): boolean {
    const t = this.#tok.type;
    return t === 'else' || t === 'elseif' || t === 'end' || t === 'eof' || (withUntil && t === 'until');
  }

  #block(): Block {
    const stats: Stat[] = [];
    while (!this.#blockFollows(true)) {
      if (this.#tok.type === 'return') {
        stats.push(this.#return());
        break;
      }
      const s = this.#statement();
      if (s) stats.push(s);
    }
    return { stats };
  }

  #scopedBlock(): Block {
    return this.#scoped(() => this.#block());
  }

  #return(): Stat {
    const tok = this.#advance();
    let exprs: Expr[] = [];
    if (!this.#blockFollows(true) && this.#tok.type !== ';') exprs = this.#exprList();
    this.#test(';');
    if (!this.#blockFollows(true)) this.#error(`expected <eof> ${this.#near()}`);
    return { k: 'return', exprs, line: tok.line, column: tok.column };
  }

  /**
   * Counts the syntax levels open (statements in blocks, expressions in expressions), as
   * Lua's parser does (LUAI_MAXCCALLS). COMPAT: Lua 5.4 says only "C stack overflow"; we say
   * where and why, before a deeply nested file can overflow our own stack.
   */
  #nested<T>(parse: () => T): T {
    if (++this.#levels > MAX_SYNTAX_LEVELS) this.#error(`too deeply nested: more than ${MAX_SYNTAX_LEVELS} levels ${this.#near()}`);
    try {
      return parse();
    } finally {
      this.#levels--;
    }
  }

  #statement(): Stat | undefined {
    return this.#nested(() => this.#statementBody());
  }

  #statementBody(): Stat | undefined {
    const tok = this.#tok;
    const at = { line: tok.line, column: tok.column };
    switch (tok.type) {
      case ';':
        this.#advance();
        return undefined;
      case 'if':
        return this.#if();
      case 'while': {
        this.#advance();
        const cond = this.#expr();
        this.#expect('do');
        const body = this.#loopBody();
        this.#expectMatch('end', 'while', tok);
        return { k: 'while', cond, body, ...at };
      }
      case 'do': {
        this.#advance();
        const body = this.#scopedBlock();
        this.#expectMatch('end', 'do', tok);
        return { k: 'do', body, ...at };
      }
      case 'for':
        return this.#for();
      case 'repeat': {
        this.#advance();
        // The condition sees the body's locals.
        this.#fs.loops++;
        return this.#scoped(() => {
          const body = this.#block();
          this.#fs.loops--;
          this.#expectMatch('until', 'repeat', tok);
          const cond = this.#expr();
          return { k: 'repeat', body, cond, ...at };
        });
      }
      case 'function':
        return this.#functionStat();
      case 'local':
        this.#advance();
        if (this.#test('function')) {
          const name = this.#name();
          const v = this.#declare(name);
          this.#activate(v);
          const func = this.#funcBody(tok, name, false);
          return { k: 'localfunction', v, func, ...at };
        }
        return this.#local(at);
      case '::':
      case 'goto':
        // COMPAT: goto and labels are not supported; no config file we know of uses them.
        return this.#error(`goto and labels are not supported ${this.#near()}`);
      case 'break':
        this.#advance();
        if (this.#fs.loops === 0) this.#error(`break outside a loop at line ${tok.line} ${this.#near()}`, tok);
        return { k: 'break', ...at };
      default:
        return this.#exprStat();
    }
  }

  #loopBody(): Block {
    this.#fs.loops++;
    const body = this.#scopedBlock();
    this.#fs.loops--;
    return body;
  }

  #if(): Stat {
    const ifTok = this.#tok;
    const clauses: { cond: Expr; body: Block }[] = [];
    let orelse: Block | undefined;
    do {
      this.#advance(); // 'if' or 'elseif'
      const cond = this.#expr();
      this.#expect('then');
      clauses.push({ cond, body: this.#scopedBlock() });
    } while (this.#tok.type === 'elseif');
    if (this.#test('else')) orelse = this.#scopedBlock();
    this.#expectMatch('end', 'if', ifTok);
    return { k: 'if', clauses, orelse, line: ifTok.line, column: ifTok.column };
  }

  #for(): Stat {
    const forTok = this.#advance();
    const at = { line: forTok.line, column: forTok.column };
    const first = this.#name();
    if (this.#tok.type === '=') {
      this.#advance();
      const start = this.#expr();
      this.#expect(',');
      const limit = this.#expr();
      const step = this.#test(',') ? this.#expr() : undefined;
      this.#expect('do');
      const v = this.#declare(first);
      const body = this.#scoped(() => {
        this.#activate(v);
        return this.#loopBody();
      });
      this.#expectMatch('end', 'for', forTok);
      return { k: 'numfor', v, start, limit, step, body, ...at };
    }
    if (this.#tok.type !== ',' && this.#tok.type !== 'in') this.#error(`expected '=' or 'in' ${this.#near()}`);
    const names = [first];
    while (this.#test(',')) names.push(this.#name());
    this.#expect('in');
    const exprs = this.#exprList();
    this.#expect('do');
    const vars = names.map((n) => this.#declare(n));
    const body = this.#scoped(() => {
      for (const v of vars) this.#activate(v);
      return this.#loopBody();
    });
    this.#expectMatch('end', 'for', forTok);
    return { k: 'genfor', vars, exprs, body, ...at };
  }

  #functionStat(): Stat {
    const fnTok = this.#advance();
    const nameTok = this.#tok;
    let fullName = this.#name();
    let target: AssignTarget = this.#resolve(fullName, nameTok) as AssignTarget;
    let isMethod = false;
    while (this.#tok.type === '.' || this.#tok.type === ':') {
      const sep = this.#advance().type;
      const keyTok = this.#tok;
      const key = this.#name();
      fullName += sep + key;
      target = {
        k: 'index',
        obj: target,
        key: { k: 'string', value: key, line: keyTok.line, column: keyTok.column },
        line: keyTok.line,
        column: keyTok.column,
      };
      if (sep === ':') {
        isMethod = true;
        break;
      }
    }
    this.#checkAssignable(target, nameTok);
    const func = this.#funcBody(fnTok, fullName, isMethod);
    return { k: 'assign', targets: [target], exprs: [func], line: nameTok.line, column: nameTok.column };
  }

  #local(at: { line: number; column: number }): Stat {
    const vars: LocalVar[] = [];
    do {
      const name = this.#name();
      let attrib: 'const' | 'close' | undefined;
      if (this.#test('<')) {
        const a = this.#name();
        if (a !== 'const' && a !== 'close') this.#error(`unknown attribute '${a}'`);
        // COMPAT: <close> needs __close metamethods, which config files never use.
        if (a === 'close') this.#error(`<close> variables are not supported ${this.#near()}`);
        attrib = a;
        this.#expect('>');
      }
      vars.push(this.#declare(name, attrib));
    } while (this.#test(','));
    const exprs = this.#test('=') ? this.#exprList() : [];
    for (const v of vars) this.#activate(v);
    return { k: 'local', vars, exprs, ...at };
  }

  #checkAssignable(e: Expr, tok: Token): void {
    if (e.k === 'local' && e.v.attrib) this.#error(`attempt to assign to const variable '${e.v.name}'`, tok);
  }

  #exprStat(): Stat {
    const tok = this.#tok;
    const e = this.#suffixedExpr();
    if (this.#tok.type === '=' || this.#tok.type === ',') {
      const targets: AssignTarget[] = [];
      let cur: Expr = e;
      let curTok = tok;
      for (;;) {
        if (cur.k !== 'local' && cur.k !== 'global' && cur.k !== 'index') this.#error(`syntax error ${this.#near()}`);
        this.#checkAssignable(cur, curTok);
        targets.push(cur);
        if (!this.#test(',')) break;
        curTok = this.#tok;
        cur = this.#suffixedExpr();
      }
      this.#expect('=');
      const exprs = this.#exprList();
      return { k: 'assign', targets, exprs, line: tok.line, column: tok.column };
    }
    if (e.k !== 'call' && e.k !== 'method') this.#error(`syntax error ${this.#near()}`);
    return { k: 'call', call: e as CallExpr, line: tok.line, column: tok.column };
  }

  // ---- expressions ----

  #exprList(): Expr[] {
    const list = [this.#expr()];
    while (this.#test(',')) list.push(this.#expr());
    return list;
  }

  #expr(limit = 0): Expr {
    return this.#nested(() => this.#exprBody(limit));
  }

  #exprBody(limit: number): Expr {
    const tok = this.#tok;
    let left: Expr;
    if (tok.type === 'not' || tok.type === '-' || tok.type === '#' || tok.type === '~') {
      this.#advance();
      const operand = this.#expr(UNARY_PRIORITY);
      left = { k: 'unop', op: tok.type, operand, line: tok.line, column: tok.column };
    } else {
      left = this.#simpleExpr();
    }
    for (;;) {
      const opTok = this.#tok;
      const prio = BINARY[opTok.type];
      if (!prio || prio[0] <= limit) break;
      this.#advance();
      const right = this.#expr(prio[1]);
      const at = { line: opTok.line, column: opTok.column };
      if (opTok.type === 'and') left = { k: 'and', left, right, ...at };
      else if (opTok.type === 'or') left = { k: 'or', left, right, ...at };
      else left = { k: 'binop', op: opTok.type, left, right, ...at };
    }
    return left;
  }

  #simpleExpr(): Expr {
    const tok = this.#tok;
    const at = { line: tok.line, column: tok.column };
    switch (tok.type) {
      case 'number':
        this.#advance();
        return { k: 'number', value: tok.value as number, ...at };
      case 'string':
        this.#advance();
        return { k: 'string', value: tok.value as string, ...at };
      case 'nil':
        this.#advance();
        return { k: 'nil', ...at };
      case 'true':
        this.#advance();
        return { k: 'true', ...at };
      case 'false':
        this.#advance();
        return { k: 'false', ...at };
      case '...':
        if (!this.#fs.isVararg) this.#error(`cannot use '...' outside a vararg function ${this.#near()}`);
        this.#advance();
        return { k: 'vararg', ...at };
      case '{':
        return this.#table();
      case 'function':
        this.#advance();
        return this.#funcBody(tok, undefined, false);
      default:
        return this.#suffixedExpr();
    }
  }

  #primaryExpr(): Expr {
    const tok = this.#tok;
    if (tok.type === 'name') {
      this.#advance();
      return this.#resolve(tok.value as string, tok);
    }
    if (tok.type === '(') {
      this.#advance();
      const expr = this.#expr();
      this.#expectMatch(')', '(', tok);
      return { k: 'paren', expr, line: tok.line, column: tok.column };
    }
    return this.#error(`unexpected symbol ${this.#near()}`);
  }

  #suffixedExpr(): Expr {
    // Indexing and calls point at where the whole expression starts (`foo` in `foo.bar()`),
    // which is what a reader looks for; method calls point at the method name.
    const first = this.#tok;
    const at = { line: first.line, column: first.column };
    let e = this.#primaryExpr();
    for (;;) {
      const tok = this.#tok;
      switch (tok.type) {
        case '.': {
          this.#advance();
          const keyTok = this.#tok;
          const name = this.#name();
          e = { k: 'index', obj: e, key: { k: 'string', value: name, line: keyTok.line, column: keyTok.column }, ...at };
          break;
        }
        case '[': {
          this.#advance();
          const key = this.#expr();
          this.#expectMatch(']', '[', tok);
          e = { k: 'index', obj: e, key, ...at };
          break;
        }
        case ':': {
          this.#advance();
          const nameTok = this.#tok;
          const name = this.#name();
          const args = this.#callArgs();
          e = { k: 'method', obj: e, name, args, line: nameTok.line, column: nameTok.column };
          break;
        }
        case '(':
        case 'string':
        case '{': {
          // A '(' on a new line would be ambiguous in Lua 5.1; 5.4 simply treats it as a call.
          const args = this.#callArgs();
          e = { k: 'call', fn: e, args, ...at };
          break;
        }
        default:
          return e;
      }
    }
  }

  #callArgs(): Expr[] {
    const tok = this.#tok;
    if (tok.type === 'string') {
      this.#advance();
      return [{ k: 'string', value: tok.value as string, line: tok.line, column: tok.column }];
    }
    if (tok.type === '{') return [this.#table()];
    if (tok.type !== '(') this.#error(`function arguments expected ${this.#near()}`);
    this.#advance();
    const args = this.#tok.type === ')' ? [] : this.#exprList();
    this.#expectMatch(')', '(', tok);
    return args;
  }

  #table(): Expr {
    const open = this.#expect('{');
    const fields: TableField[] = [];
    while (this.#tok.type !== '}') {
      const tok = this.#tok;
      const at = { line: tok.line, column: tok.column };
      if (tok.type === 'name' && this.#peek().type === '=') {
        this.#advance();
        this.#advance();
        fields.push({ kind: 'named', key: tok.value as string, value: this.#expr(), ...at });
      } else if (tok.type === '[') {
        this.#advance();
        const key = this.#expr();
        this.#expectMatch(']', '[', tok);
        this.#expect('=');
        fields.push({ kind: 'keyed', key, value: this.#expr(), ...at });
      } else {
        fields.push({ kind: 'item', key: undefined, value: this.#expr(), ...at });
      }
      if (!this.#test(',') && !this.#test(';')) break;
    }
    this.#expectMatch('}', '{', open);
    return { k: 'table', fields, line: open.line, column: open.column };
  }

  #funcBody(tok: Token, name: string | undefined, isMethod: boolean): FunctionExpr {
    const fs: FuncState = {
      depth: this.#fs.depth + 1,
      isVararg: false,
      blocks: [new Map()],
      loops: 0,
      parent: this.#fs,
    };
    this.#fs = fs;
    try {
      const params: LocalVar[] = [];
      if (isMethod) params.push(this.#declare('self'));
      const open = this.#expect('(');
      if (this.#tok.type !== ')') {
        do {
          if (this.#tok.type === '...') {
            this.#advance();
            fs.isVararg = true;
            break;
          }
          params.push(this.#declare(this.#name()));
        } while (this.#test(','));
      }
      this.#expectMatch(')', '(', open);
      for (const p of params) this.#activate(p);
      const body = this.#block();
      this.#expectMatch('end', 'function', tok);
      return { k: 'function', params, isVararg: fs.isVararg, body, name, line: tok.line, column: tok.column };
    } finally {
      this.#fs = fs.parent!;
    }
  }
}
