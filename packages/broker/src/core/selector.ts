/**
 * Message selectors: SUBSCRIBE's `selector` header (the JMS 1.1 selector
 * subset, with ActiveMQ's choices where JMS leaves room).
 *
 * Accepted grammar (keywords case-insensitive, lowest precedence first; the
 * tokens are described in selector-lexer.ts):
 *
 *   selector  := or EOF                                 at most 4096 characters
 *   or        := and { OR and }
 *   and       := not { AND not }
 *   not       := NOT not | predicate
 *   predicate := sum [ ( '=' | '<>' | '!=' | '<' | '>' | '<=' | '>=' ) sum
 *                    | [NOT] BETWEEN sum AND sum
 *                    | [NOT] IN '(' string { ',' string } ')'
 *                    | [NOT] LIKE string [ ESCAPE string ]
 *                    | IS [NOT] NULL ]
 *   sum       := product { ( '+' | '-' ) product }
 *   product   := unary { ( '*' | '/' ) unary }
 *   unary     := ( '+' | '-' ) unary | primary
 *   primary   := identifier | "quoted-identifier" | 'string' | number
 *              | TRUE | FALSE | NULL | '(' or ')'
 *
 * Parentheses, NOT and unary signs nest at most 64 deep.
 *
 * Semantics:
 * - An identifier is the value of the message header of that name: a string,
 *   or NULL when the header is missing.
 * - SQL three-valued logic: comparisons, arithmetic, IN, LIKE and BETWEEN on
 *   NULL are unknown; FALSE AND unknown = FALSE, TRUE OR unknown = TRUE,
 *   NOT unknown = unknown. A message matches only when the result is TRUE.
 * - A header compared with a number, or used in arithmetic, is converted
 *   strictly: the number-literal syntax with an optional sign and nothing
 *   else (no whitespace, hex, 'Infinity', '12abc'); anything else is unknown.
 *   Arithmetic is in doubles (7 / 2 = 3.5); division by zero is unknown.
 * - A header compared with TRUE/FALSE, or used as a condition on its own,
 *   must be 'true' or 'false' (any case); anything else is unknown.
 * - `=` and `<>` on two strings compare them exactly ('1.0' = '1' is false).
 * - Ordering (< > <= >= BETWEEN) follows ActiveMQ: a string or boolean
 *   literal or NULL as an operand is rejected when compiling (JMS orders only
 *   numbers), and two headers, both strings, compare lexically by UTF-16 code
 *   units as Java's String.compareTo does (so '10' < '9'); a header against
 *   a number compares numerically.
 * - Literals of different types cannot be compared ('1' = 1 is rejected) and
 *   `= NULL` is rejected in favour of IS NULL.
 * - IN and LIKE apply to a header (or a string); a missing header gives
 *   unknown for IN, NOT IN, LIKE and NOT LIKE alike.
 * - LIKE: `%` is any run of characters, `_` exactly one character (code
 *   point); after the ESCAPE character the next character is literal.
 * - `(condition) IS NULL` is TRUE when the condition is unknown.
 */
import { SelectorError, describeToken, tokenize, type Token } from './selector-lexer.js';

export { SelectorError } from './selector-lexer.js';

export type HeaderLookup = (name: string) => string | undefined;
export type Selector = (get: HeaderLookup) => boolean;

const MAX_LENGTH = 4096;
const MAX_DEPTH = 64;

/** A value at evaluation time; numbers use NaN for unknown, the other types null. */
type Value = number | string | boolean | null;
type Fn = (get: HeaderLookup) => Value;
type Cond = (get: HeaderLookup) => boolean | null;
/** Static type: number, string literal, condition or boolean, NULL literal, header (string or NULL). */
type Kind = 'num' | 'str' | 'bool' | 'null' | 'header';

interface Node {
  readonly kind: Kind;
  readonly fn: Fn;
  /** 0-based offset of the node's first token, for error messages */
  readonly start: number;
  /** the value of a number literal, for folding signs */
  readonly literal?: number;
}

const KIND_NAMES: Record<Kind, string> = { num: 'a number', str: 'a string', bool: 'a condition', null: 'NULL', header: 'an identifier' };
const COMPARISONS = new Set(['=', '<>', '<', '>', '<=', '>=']);
const HEADER_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const REGEXP_SYNTAX = new Set('^$\\.*+?()[]{}|/');

function errorAt(start: number, before: string, after = ''): never {
  throw new SelectorError(`${before} at column ${start + 1}${after}`, start + 1);
}

function toNumber(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && HEADER_NUMBER.test(v)) return Number(v);
  return NaN;
}

function toBool(v: Value): boolean | null {
  if (typeof v === 'boolean' || v === null) return v;
  if (typeof v !== 'string' || v.length < 4 || v.length > 5) return null;
  const s = v === 'true' || v === 'false' ? v : v.toLowerCase();
  return s === 'true' ? true : s === 'false' ? false : null;
}

/** -1, 0 or 1; NaN when a side is unknown or the two cannot be compared. */
function compare(a: Value, b: Value): number {
  if (a === null || b === null) return NaN;
  if (typeof a !== typeof b) {
    if (typeof a === 'string') a = typeof b === 'number' ? toNumber(a) : toBool(a);
    else if (typeof b === 'string') b = typeof a === 'number' ? toNumber(b) : toBool(b);
    else return NaN;
    if (a === null || b === null) return NaN;
  }
  return a === b ? 0 : (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : NaN;
}

/** A node used where a condition is required (operand of AND/OR/NOT, or the whole selector). */
function cond(n: Node): Cond {
  if (n.kind === 'bool') return n.fn as Cond;
  if (n.kind === 'header') {
    const f = n.fn;
    return (get) => toBool(f(get));
  }
  return errorAt(n.start, 'expected a condition', `, found ${KIND_NAMES[n.kind]}`);
}

function requireNumeric(n: Node, op: string): void {
  if (n.kind !== 'num' && n.kind !== 'header') {
    errorAt(n.start, `expected a number or identifier for ${op}`, `, found ${KIND_NAMES[n.kind]}`);
  }
}

function requireText(n: Node, op: string): void {
  if (n.kind !== 'str' && n.kind !== 'header') {
    errorAt(n.start, `expected an identifier or string before ${op}`, `, found ${KIND_NAMES[n.kind]}`);
  }
}

/** AND (decisive = false) or OR (decisive = true) of conditions, in three-valued logic. */
function junction(decisive: boolean, parts: Cond[]): Fn {
  return (get) => {
    let unknown = false;
    for (let k = 0; k < parts.length; k++) {
      const v = parts[k]!(get);
      if (v === decisive) return decisive;
      if (v === null) unknown = true;
    }
    return unknown ? null : !decisive;
  };
}

function comparison(op: string, src: string, l: Node, r: Node): Fn {
  const a = l.fn;
  const b = r.fn;
  if (op === '=' || op === '<>') {
    for (const n of [l, r]) {
      if (n.kind === 'null') errorAt(n.start, `cannot compare with NULL using '${src}'`, ' (use IS NULL or IS NOT NULL)');
    }
    if (l.kind !== 'header' && r.kind !== 'header' && l.kind !== r.kind) {
      errorAt(l.start, `cannot compare ${KIND_NAMES[l.kind]} with ${KIND_NAMES[r.kind]}`);
    }
    if (op === '=') return (get) => { const c = compare(a(get), b(get)); return c !== c ? null : c === 0; };
    return (get) => { const c = compare(a(get), b(get)); return c !== c ? null : c !== 0; };
  }
  requireNumeric(l, `'${src}'`);
  requireNumeric(r, `'${src}'`);
  switch (op) {
    case '<': return (get) => { const c = compare(a(get), b(get)); return c !== c ? null : c < 0; };
    case '>': return (get) => { const c = compare(a(get), b(get)); return c !== c ? null : c > 0; };
    case '<=': return (get) => { const c = compare(a(get), b(get)); return c !== c ? null : c <= 0; };
    default: return (get) => { const c = compare(a(get), b(get)); return c !== c ? null : c >= 0; };
  }
}

function arithmetic(op: string, l: Node, r: Node): Fn {
  requireNumeric(l, `'${op}'`);
  requireNumeric(r, `'${op}'`);
  const a = l.fn;
  const b = r.fn;
  switch (op) {
    case '+': return (get) => toNumber(a(get)) + toNumber(b(get));
    case '-': return (get) => toNumber(a(get)) - toNumber(b(get));
    case '*': return (get) => toNumber(a(get)) * toNumber(b(get));
    default: return (get) => { const d = toNumber(b(get)); return d === 0 ? NaN : toNumber(a(get)) / d; };
  }
}

/**
 * LIKE pattern -> RegExp. `S0%S1%...%Sn` becomes `^S0 (?=([^]*?S1))\1 ... [^]*Sn$`:
 * each middle segment is matched at its leftmost place inside a lookahead,
 * which JavaScript never backtracks into, so the lookahead and backreference
 * act as an atomic group. Leftmost placement is always a correct choice for
 * fixed-length segments, and matching stays O(text x pattern) where plain
 * `.*` chains backtrack O(text^k) for k '%' ('%a%a%a%a%b' on a run of 'a').
 */
function likeRegExp(pattern: Token, escape: string | undefined): RegExp {
  const segments: string[] = [];
  let segment = '';
  const chars = Array.from(pattern.value);
  for (let k = 0; k < chars.length; k++) {
    let ch = chars[k]!;
    if (ch === escape) {
      ch = chars[++k] ?? errorAt(pattern.start, `expected a character after the ESCAPE character '${escape}' in the LIKE pattern`, ', found the end of the pattern');
    } else if (ch === '%') {
      segments.push(segment);
      segment = '';
      continue;
    } else if (ch === '_') {
      segment += '[^]';
      continue;
    }
    segment += REGEXP_SYNTAX.has(ch) ? `\\${ch}` : ch;
  }
  segments.push(segment);
  const last = segments.length - 1;
  let source = `^${segments[0]}`;
  for (let k = 1, group = 1; k < last; k++) {
    if (segments[k] !== '') source += `(?=([^]*?${segments[k]}))\\${group++}`;
  }
  source += last === 0 ? '$' : `[^]*${segments[last]}$`;
  return new RegExp(source, 'u');
}

class Parser {
  private readonly text: string;
  private readonly tokens: Token[];
  private i = 0;
  private depth = 0;

  constructor(text: string) {
    this.text = text;
    this.tokens = tokenize(text);
  }

  parse(): Selector {
    if (this.tokens.length === 1) errorAt(0, 'expected an expression', ', found an empty selector');
    const root = this.or();
    if (this.tok.type !== 'eof') this.fail('an operator or end of input');
    const c = cond(root);
    return (get) => c(get) === true;
  }

  private get tok(): Token { return this.tokens[this.i]!; }

  private fail(expected: string): never {
    return errorAt(this.tok.start, `expected ${expected}`, `, found ${describeToken(this.text, this.tok)}`);
  }

  private is(type: 'kw' | 'op', value: string): boolean {
    return this.tok.type === type && this.tok.value === value;
  }

  /** Consumes the keyword or operator if it is next. */
  private accept(type: 'kw' | 'op', value: string): boolean {
    if (!this.is(type, value)) return false;
    this.i++;
    return true;
  }

  private expect(type: 'kw' | 'op', value: string): void {
    if (!this.accept(type, value)) this.fail(type === 'op' ? `'${value}'` : value);
  }

  /** Consumes and returns the next token, which must be a string literal. */
  private string(expected: string): Token {
    const t = this.tok;
    if (t.type !== 'string') this.fail(expected);
    this.i++;
    return t;
  }

  private enter(t: Token): void {
    if (++this.depth > MAX_DEPTH) errorAt(t.start, `expected at most ${MAX_DEPTH} levels of nesting`, ', found more');
  }

  private or(): Node { return this.logical('OR', () => this.and()); }
  private and(): Node { return this.logical('AND', () => this.not()); }

  private logical(keyword: 'AND' | 'OR', operand: () => Node): Node {
    const first = operand();
    if (!this.is('kw', keyword)) return first;
    const parts = [cond(first)];
    while (this.accept('kw', keyword)) parts.push(cond(operand()));
    return { kind: 'bool', start: first.start, fn: junction(keyword === 'OR', parts) };
  }

  private not(): Node {
    const t = this.tok;
    if (!this.accept('kw', 'NOT')) return this.predicate();
    this.enter(t);
    const c = cond(this.not());
    this.depth--;
    return { kind: 'bool', start: t.start, fn: (get) => { const v = c(get); return v === null ? null : !v; } };
  }

  private predicate(): Node {
    const left = this.sum();
    const t = this.tok;
    if (t.type === 'op' && COMPARISONS.has(t.value)) {
      this.i++;
      const right = this.sum();
      return { kind: 'bool', start: left.start, fn: comparison(t.value, this.text.slice(t.start, t.end), left, right) };
    }
    if (this.accept('kw', 'IS')) {
      const negate = this.accept('kw', 'NOT');
      this.expect('kw', 'NULL');
      const f = left.fn;
      return { kind: 'bool', start: left.start, fn: (get) => { const v = f(get); return (v === null || v !== v) !== negate; } };
    }
    const negate = this.accept('kw', 'NOT');
    if (this.accept('kw', 'BETWEEN')) return this.between(left, negate);
    if (this.accept('kw', 'IN')) return this.in(left, negate);
    if (this.accept('kw', 'LIKE')) return this.like(left, negate);
    if (negate) this.fail('BETWEEN, IN or LIKE after NOT');
    return left;
  }

  private between(value: Node, negate: boolean): Node {
    const low = this.sum();
    this.expect('kw', 'AND');
    const high = this.sum();
    for (const n of [value, low, high]) requireNumeric(n, 'BETWEEN');
    const [v, lo, hi] = [value.fn, low.fn, high.fn];
    const fn: Fn = (get) => {
      const x = v(get);
      const a = compare(x, lo(get));
      const b = compare(x, hi(get));
      if (a < 0 || b > 0) return negate; // FALSE, even when the other bound is unknown
      if (a !== a || b !== b) return null;
      return !negate;
    };
    return { kind: 'bool', start: value.start, fn };
  }

  private in(value: Node, negate: boolean): Node {
    requireText(value, 'IN');
    this.expect('op', '(');
    const set = new Set<string>();
    do set.add(this.string('a string literal').value);
    while (this.accept('op', ','));
    this.expect('op', ')');
    const f = value.fn;
    return { kind: 'bool', start: value.start, fn: (get) => { const v = f(get); return v === null ? null : set.has(v as string) !== negate; } };
  }

  private like(value: Node, negate: boolean): Node {
    requireText(value, 'LIKE');
    const pattern = this.string('a string pattern after LIKE');
    let escape: string | undefined;
    if (this.accept('kw', 'ESCAPE')) {
      const e = this.tok;
      if (e.type !== 'string' || Array.from(e.value).length !== 1) this.fail('a one-character string after ESCAPE');
      this.i++;
      escape = e.value;
    }
    const re = likeRegExp(pattern, escape);
    const f = value.fn;
    return { kind: 'bool', start: value.start, fn: (get) => { const v = f(get); return v === null ? null : re.test(v as string) !== negate; } };
  }

  private sum(): Node { return this.arithmetic(['+', '-'], () => this.product()); }
  private product(): Node { return this.arithmetic(['*', '/'], () => this.unary()); }

  /** A left-associative chain of `operand (op operand)*`. */
  private arithmetic(ops: readonly string[], operand: () => Node): Node {
    let left = operand();
    for (let t = this.tok; t.type === 'op' && ops.includes(t.value); t = this.tok) {
      this.i++;
      left = { kind: 'num', start: left.start, fn: arithmetic(t.value, left, operand()) };
    }
    return left;
  }

  private unary(): Node {
    const t = this.tok;
    if (!this.accept('op', '+') && !this.accept('op', '-')) return this.primary();
    this.enter(t);
    const operand = this.unary();
    this.depth--;
    requireNumeric(operand, `unary '${t.value}'`);
    if (operand.literal !== undefined) {
      const v = t.value === '-' ? -operand.literal : operand.literal;
      return { kind: 'num', start: t.start, literal: v, fn: () => v };
    }
    const f = operand.fn;
    const fn: Fn = t.value === '-' ? (get) => -toNumber(f(get)) : (get) => toNumber(f(get));
    return { kind: 'num', start: t.start, fn };
  }

  private primary(): Node {
    const t = this.tok;
    const { start, value } = t;
    let node: Node;
    if (t.type === 'number') {
      const v = Number(value);
      if (!Number.isFinite(v)) errorAt(start, 'expected a finite number', `, found ${value}`);
      node = { kind: 'num', start, literal: v, fn: () => v };
    } else if (t.type === 'string') {
      node = { kind: 'str', start, fn: () => value };
    } else if (t.type === 'ident') {
      node = { kind: 'header', start, fn: (get) => get(value) ?? null };
    } else if (t.type === 'kw' && (value === 'TRUE' || value === 'FALSE')) {
      const v = value === 'TRUE';
      node = { kind: 'bool', start, fn: () => v };
    } else if (t.type === 'kw' && value === 'NULL') {
      node = { kind: 'null', start, fn: () => null };
    } else if (this.accept('op', '(')) {
      this.enter(t);
      const inner = this.or();
      this.expect('op', ')');
      this.depth--;
      return { ...inner, start };
    } else {
      return this.fail('an expression');
    }
    this.i++;
    return node;
  }
}

/**
 * Compiles a selector once into a tree of closures; evaluating it does no
 * parsing and builds no RegExp. Throws SelectorError (code BAD_SELECTOR).
 */
export function compileSelector(text: string): Selector {
  if (text.length > MAX_LENGTH) {
    errorAt(MAX_LENGTH, `expected at most ${MAX_LENGTH} characters`, `, found ${text.length}`);
  }
  return new Parser(text).parse();
}
