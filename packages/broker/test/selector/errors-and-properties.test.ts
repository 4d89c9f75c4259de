// Selector syntax errors (what was expected, what was found, where) and properties
// checked on generated selectors and headers. How selectors evaluate is in evaluate.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileSelector, SelectorError } from '../../src/core/selector.js';
import { lookup, matches, quote, rejects, truth, type Headers } from './helpers.js';

const likeLiteral = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

describe('errors report what was expected, what was found and the column', () => {
  it('matches the documented format', () => {
    assert.throws(() => compileSelector('(a = 1 OR b=2'), {
      name: 'SelectorError',
      message: "selector: expected ')' at column 14, found end of input",
    });
  });

  it('empty or whitespace-only selector', () => {
    rejects('', 1, /expected an expression at column 1, found an empty selector/);
    rejects('  \t ', 1, /found an empty selector/);
  });

  it('unterminated string', () => {
    rejects("x = 'abc", 5, /unterminated string literal at column 5: expected a closing ', found end of input/);
    rejects("x = 'it''s", 5, /unterminated string literal/);
  });

  it('unterminated or empty quoted identifier', () => {
    rejects('"abc = 1', 1, /unterminated quoted identifier at column 1: expected a closing "/);
    rejects('"" = 1', 1, /expected an identifier name at column 1, found ""/);
  });

  it('unbalanced parentheses', () => {
    rejects("(x = 'a'", 9, /expected '\)' at column 9, found end of input/);
    rejects("((x = 'a')", 11, /expected '\)' at column 11/);
    rejects("x = 'a')", 8, /expected an operator or end of input at column 8, found '\)'/);
    rejects('()', 2, /expected an expression at column 2, found '\)'/);
  });

  it('trailing garbage', () => {
    rejects("x = 'a' y", 9, /expected an operator or end of input at column 9, found identifier y/);
    rejects("x = 'a' 'b'", 9, /found string 'b'/);
  });

  it('unknown operators, with a hint', () => {
    rejects('x == 1', 3, /unknown operator '==' at column 3 \(use '='\)/);
    rejects('x = 1 && y = 2', 7, /unknown operator '&&' at column 7 \(use AND\)/);
    rejects('x = 1 || y = 2', 7, /unknown operator '\|\|' at column 7 \(use OR\)/);
    rejects('!x', 1, /unknown operator '!' at column 1/);
    rejects('x # 1', 3, /unexpected character '#' at column 3/);
    rejects('x = 1 ; y', 7, /unexpected character ';' at column 7/);
  });

  it('missing operands', () => {
    rejects('x =', 4, /expected an expression at column 4, found end of input/);
    rejects('x = 1 AND', 10, /expected an expression at column 10, found end of input/);
    rejects('AND x = 1', 1, /expected an expression at column 1, found AND/);
    rejects('x NOT 1', 7, /expected BETWEEN, IN or LIKE after NOT at column 7, found number 1/);
  });

  it('malformed numbers', () => {
    rejects('x = 12abc', 5, /expected a number at column 5, found '12abc'/);
    rejects('x = 1e', 5, /found '1e'/);
    rejects('x = 1.2.3', 5, /found '1.2.3'/);
    rejects('x = 1e999', 5, /expected a finite number at column 5, found 1e999/);
  });

  it('a selector must be a condition', () => {
    rejects('1 + 2', 1, /expected a condition at column 1, found a number/);
    rejects("'abc'", 1, /expected a condition at column 1, found a string/);
    rejects("x = 1 AND 'abc'", 11, /expected a condition at column 11, found a string/);
    rejects('NOT 5', 5, /expected a condition at column 5, found a number/);
  });

  it('at most 4096 characters', () => {
    const pad = (n: number): string => `x = '${'a'.repeat(n - 6)}'`;
    assert.equal(pad(4096).length, 4096);
    assert.equal(matches(pad(4096), { x: 'a'.repeat(4090) }), true);
    rejects(pad(4097), 4097, /expected at most 4096 characters at column 4097, found 4097/);
  });

  it('at most 64 levels of nesting', () => {
    assert.equal(matches(`${'('.repeat(64)}x = 1${')'.repeat(64)}`, { x: '1' }), true);
    rejects(`${'('.repeat(65)}x = 1${')'.repeat(65)}`, 65, /expected at most 64 levels of nesting at column 65, found more/);
    assert.equal(matches(`${'NOT '.repeat(64)}x = 1`, { x: '1' }), true);
    rejects(`${'NOT '.repeat(65)}x = 1`, 257, /levels of nesting/);
    rejects(`x = ${'-'.repeat(65)}1`, 69, /levels of nesting/);
    rejects(`${'('.repeat(2000)}`, 65, /levels of nesting/);
  });
});

describe('properties', () => {
  it('arbitrary text either compiles or throws SelectorError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        try {
          compileSelector(text);
        } catch (e) {
          if (!(e instanceof SelectorError)) throw e;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('selector-like token soup either throws SelectorError or compiles to a selector that never throws', () => {
    const token = fc.constantFrom(
      'a', 'b', '"c-d"', '(', ')', ',', '=', '<>', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/',
      'AND', 'OR', 'NOT', 'IN', 'LIKE', 'ESCAPE', 'BETWEEN', 'IS', 'NULL', 'TRUE', 'FALSE',
      "'x'", "'1'", "'%'", "'_'", "'!'", "'x%y_'", '1', '0', '2.5e1', '.5', "'", '"', '#',
    );
    const headers = fc.dictionary(fc.constantFrom('a', 'b', 'c-d'), fc.constantFrom('', '0', '1', 'x', 'true', '2.5e1', '%'));
    fc.assert(
      fc.property(fc.array(token, { maxLength: 14 }), headers, (tokens, h) => {
        let selector;
        try {
          selector = compileSelector(tokens.join(' '));
        } catch (e) {
          if (e instanceof SelectorError) return;
          throw e;
        }
        assert.equal(typeof selector(lookup(h)), 'boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it("x = '<s>' matches exactly the headers equal to s", () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (s, other) => {
        const selector = compileSelector(`x = ${quote(s)}`);
        assert.equal(selector(lookup({ x: s })), true);
        assert.equal(selector(lookup({ x: other })), other === s);
        assert.equal(selector(lookup({})), false);
      }),
    );
  });

  it("x LIKE '<escaped s>%' matches exactly the headers starting with s", () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (s, t) => {
        const exact = compileSelector(`x LIKE ${quote(likeLiteral(s))} ESCAPE '\\'`);
        const prefix = compileSelector(`x LIKE ${quote(`${likeLiteral(s)}%`)} ESCAPE '\\'`);
        assert.equal(exact(lookup({ x: s })), true);
        assert.equal(exact(lookup({ x: t })), t === s);
        assert.equal(prefix(lookup({ x: s + t })), true);
        assert.equal(prefix(lookup({ x: t })), t.startsWith(s));
      }),
    );
  });

  it('a header compared with an integer orders like the numbers', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (a, b) => {
        const h = { x: String(a) };
        assert.equal(matches(`x < ${b}`, h), a < b);
        assert.equal(matches(`x = ${b}`, h), a === b);
        assert.equal(matches(`x BETWEEN ${b} AND ${b} + 10`, h), a >= b && a <= b + 10);
      }),
    );
  });

  const operand = fc.constantFrom('a', 'b', '1', '2.5', '-a', 'a + b', 'b * 2');
  const atom = fc.oneof(
    fc.tuple(operand, fc.constantFrom('=', '<>', '<', '<=', '>', '>='), operand).map(([l, op, r]) => `${l} ${op} ${r}`),
    fc.tuple(fc.constantFrom('a', 'b'), fc.constantFrom("= 'x'", "<> 'x'", "IN ('1', 'x')", "NOT IN ('x')", "LIKE '1%'", "NOT LIKE '_'", 'IS NULL', 'IS NOT NULL', 'BETWEEN 0 AND 2', 'NOT BETWEEN b AND 2')).map(([l, p]) => `${l} ${p}`),
    fc.constantFrom('a', 'TRUE', 'FALSE'),
  );
  const condition = fc.letrec<{ c: string }>((tie) => ({
    c: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      atom,
      tie('c').map((x) => `NOT (${x})`),
      fc.tuple(tie('c'), fc.constantFrom('AND', 'OR'), tie('c')).map(([x, op, y]) => `(${x}) ${op} (${y})`),
    ),
  })).c;
  const headerValue = fc.option(fc.constantFrom('0', '1', '2', '2.5', 'x', 'true', 'false', ''), { nil: undefined });
  const headerPair = fc.tuple(headerValue, headerValue).map(([a, b]) => {
    const h: Headers = {};
    if (a !== undefined) h.a = a;
    if (b !== undefined) h.b = b;
    return h;
  });

  it('exactly one of C, NOT (C) and (C) IS NULL matches (three-valued logic)', () => {
    fc.assert(
      fc.property(condition, headerPair, (c, h) => {
        // `AND TRUE` turns a bare header into a condition, so IS NULL tests the condition's value
        const hits = [c, `NOT (${c})`, `((${c}) AND TRUE) IS NULL`].filter((s) => matches(s, h));
        assert.equal(hits.length, 1, `${c} with ${JSON.stringify(h)}: ${hits.join(' | ')}`);
      }),
      { numRuns: 500 },
    );
  });

  it("De Morgan's laws hold in three-valued logic", () => {
    fc.assert(
      fc.property(condition, condition, headerPair, (x, y, h) => {
        assert.equal(truth(`NOT ((${x}) AND (${y}))`, h), truth(`NOT (${x}) OR NOT (${y})`, h));
        assert.equal(truth(`NOT ((${x}) OR (${y}))`, h), truth(`NOT (${x}) AND NOT (${y})`, h));
      }),
      { numRuns: 300 },
    );
  });
});
