/**
 * Tokenizer for message selectors (see selector.ts for the grammar).
 *
 * Tokens: keywords (case-insensitive: AND OR NOT IN LIKE ESCAPE BETWEEN IS
 * NULL TRUE FALSE), identifiers (letters, digits, `_`, `$`; not starting with
 * a digit), double-quoted identifiers ("content-type", `""` for a quote),
 * single-quoted strings (`''` for a quote), numbers (12, 1.5, .5, 1., 6e-3)
 * and the operators `( ) , = <> != < > <= >= + - * /`.
 */
import { ErrorCodes, StompboxError } from '../errors.js';

/** A selector that does not compile; `position` is the 1-based column shown in the message. */
export class SelectorError extends StompboxError {
  readonly position: number;
  constructor(message: string, position: number) {
    super(ErrorCodes.BAD_SELECTOR, `selector: ${message}`, true);
    this.name = 'SelectorError';
    this.position = position;
  }
}

export type TokenType = 'ident' | 'string' | 'number' | 'op' | 'kw' | 'eof';

export interface Token {
  readonly type: TokenType;
  /** identifier name, unescaped string, number source, operator, or upper-cased keyword */
  readonly value: string;
  /** 0-based offsets into the selector text */
  readonly start: number;
  readonly end: number;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'LIKE', 'ESCAPE', 'BETWEEN', 'IS', 'NULL', 'TRUE', 'FALSE']);
const IDENT = /[\p{L}_$][\p{L}\p{N}\p{M}_$]*/uy;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
/** what sticks to a number when it is malformed: `12abc`, `1e`, `1.2.3` */
const NUMBER_TAIL = /[\p{L}\p{N}\p{M}_$.]+/uy;
const TWO_CHAR_OPS = new Set(['<>', '!=', '<=', '>=']);
const ONE_CHAR_OPS = '(),=<>+-*/';
/** operators from other languages, with what to write instead */
const FOREIGN_OPS = new Map([
  ['==', "use '='"],
  ['&&', 'use AND'],
  ['||', 'use OR'],
  ['!', "use NOT or '!='"],
  ['&', 'use AND'],
  ['|', 'use OR'],
]);

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;
}

/** Reads a `q`-quoted run starting at `start` (the opening quote); a doubled quote stands for one quote. */
function readQuoted(text: string, start: number, q: string, what: string): [value: string, end: number] {
  let value = '';
  let from = start + 1;
  for (;;) {
    const close = text.indexOf(q, from);
    if (close < 0) {
      throw new SelectorError(`unterminated ${what} at column ${start + 1}: expected a closing ${q}, found end of input`, start + 1);
    }
    value += text.slice(from, close);
    if (text[close + 1] !== q) return [value, close + 1];
    value += q;
    from = close + 2;
  }
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (i >= n) {
      tokens.push({ type: 'eof', value: '', start: n, end: n });
      return tokens;
    }
    const start = i;
    const c = text[i]!;
    if (c === "'") {
      const [value, end] = readQuoted(text, i, "'", 'string literal');
      tokens.push({ type: 'string', value, start, end });
      i = end;
      continue;
    }
    if (c === '"') {
      const [value, end] = readQuoted(text, i, '"', 'quoted identifier');
      if (value === '') throw new SelectorError(`expected an identifier name at column ${start + 1}, found ""`, start + 1);
      tokens.push({ type: 'ident', value, start, end });
      i = end;
      continue;
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      NUMBER_TAIL.lastIndex = i;
      if (NUMBER_TAIL.test(text)) {
        const bad = text.slice(start, NUMBER_TAIL.lastIndex);
        throw new SelectorError(`expected a number at column ${start + 1}, found '${bad}'`, start + 1);
      }
      tokens.push({ type: 'number', value: text.slice(start, i), start, end: i });
      continue;
    }
    IDENT.lastIndex = i;
    if (IDENT.test(text)) {
      i = IDENT.lastIndex;
      const word = text.slice(start, i);
      const upper = word.toUpperCase();
      if (KEYWORDS.has(upper)) tokens.push({ type: 'kw', value: upper, start, end: i });
      else tokens.push({ type: 'ident', value: word, start, end: i });
      continue;
    }
    const two = text.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      tokens.push({ type: 'op', value: two === '!=' ? '<>' : two, start, end: i + 2 });
      i += 2;
      continue;
    }
    const foreign = FOREIGN_OPS.has(two) ? two : FOREIGN_OPS.has(c) ? c : undefined;
    if (foreign !== undefined) {
      throw new SelectorError(`unknown operator '${foreign}' at column ${start + 1} (${FOREIGN_OPS.get(foreign)})`, start + 1);
    }
    if (ONE_CHAR_OPS.includes(c)) {
      tokens.push({ type: 'op', value: c, start, end: i + 1 });
      i += 1;
      continue;
    }
    const cp = String.fromCodePoint(text.codePointAt(i)!);
    throw new SelectorError(`unexpected character '${cp}' at column ${start + 1}`, start + 1);
  }
}

/** How a token is named in error messages ("found ..."). */
export function describeToken(text: string, t: Token): string {
  if (t.type === 'eof') return 'end of input';
  let src = text.slice(t.start, t.end);
  if (src.length > 32) src = `${src.slice(0, 29)}...`;
  switch (t.type) {
    case 'op': return `'${src}'`;
    case 'kw': return t.value;
    case 'ident': return `identifier ${src}`;
    case 'string': return `string ${src}`;
    default: return `number ${src}`;
  }
}
