// How selectors evaluate: literals, operators, precedence, three-valued logic and the
// IS NULL / IN / LIKE / BETWEEN predicates. Syntax errors and properties are in
// errors-and-properties.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileSelector } from '../../src/core/selector.js';
import { lookup, matches, quote, rejects, truth } from './helpers.js';

describe('literals and identifiers', () => {
  it('a header equals a string literal', () => {
    assert.equal(matches("location = 'Europe'", { location: 'Europe' }), true);
    assert.equal(matches("location = 'Europe'", { location: 'Asia' }), false);
    assert.equal(matches("location = 'Europe'", { location: 'europe' }), false);
  });

  it("'' inside a string literal is one quote", () => {
    assert.equal(matches("name = 'O''Brien'", { name: "O'Brien" }), true);
    assert.equal(matches("name = ''''", { name: "'" }), true);
    assert.equal(matches("name = ''", { name: '' }), true);
  });

  it('integer, decimal and exponent literals', () => {
    assert.equal(matches('x = 42', { x: '42' }), true);
    assert.equal(matches('x = 1.5e2', { x: '150' }), true);
    assert.equal(matches('x = 15E-1', { x: '1.5' }), true);
    assert.equal(matches('x = .5', { x: '0.5' }), true);
    assert.equal(matches('x = 1.', { x: '1' }), true);
    assert.equal(matches('x = -3', { x: '-3' }), true);
  });

  it('TRUE and FALSE compare with header values true/false in any case', () => {
    assert.equal(matches('urgent = TRUE', { urgent: 'true' }), true);
    assert.equal(matches('urgent = true', { urgent: 'TRUE' }), true);
    assert.equal(matches('urgent = FALSE', { urgent: 'false' }), true);
    assert.equal(matches('urgent = TRUE', { urgent: 'false' }), false);
    assert.equal(truth('urgent = TRUE', { urgent: 'yes' }), 'UNKNOWN');
  });

  it('a bare header is a condition when it holds true/false', () => {
    assert.equal(truth('urgent', { urgent: 'true' }), 'TRUE');
    assert.equal(truth('urgent', { urgent: 'False' }), 'FALSE');
    assert.equal(truth('urgent', { urgent: '1' }), 'UNKNOWN');
    assert.equal(truth('urgent', {}), 'UNKNOWN');
    assert.equal(matches('TRUE'), true);
    assert.equal(matches('FALSE'), false);
  });

  it('keywords are case-insensitive', () => {
    const h = { a: '1', b: 'x' };
    assert.equal(matches("a = 1 and b IN ('x') Or c Is Null", h), true);
    assert.equal(matches("not a = 2 AND b like 'x%' and a between 0 And 2", h), true);
  });

  it('identifiers may contain letters, digits, _ and $', () => {
    assert.equal(matches("_a$1 = 'v' AND $b = 'w' AND ÄÖ = 'u'", { _a$1: 'v', $b: 'w', ÄÖ: 'u' }), true);
  });

  it('double-quoted identifiers name headers with dashes, keywords and quotes', () => {
    assert.equal(matches(`"content-type" = 'text/plain'`, { 'content-type': 'text/plain' }), true);
    assert.equal(matches(`"and" = 'x'`, { and: 'x' }), true);
    assert.equal(matches(`"a""b" = 'x'`, { 'a"b': 'x' }), true);
    assert.equal(matches(`"content-length" > 10`, { 'content-length': '11' }), true);
  });

  it('an identifier reads the header of exactly that name', () => {
    const seen: string[] = [];
    const selector = compileSelector(`Priority = 'high' AND "x-y" IS NULL`);
    selector((name) => { seen.push(name); return name === 'Priority' ? 'high' : undefined; });
    assert.deepEqual(seen, ['Priority', 'x-y']);
  });
});

describe('comparison operators', () => {
  it('= and <> (and its synonym !=)', () => {
    assert.equal(matches("a = 'x'", { a: 'x' }), true);
    assert.equal(matches("a <> 'x'", { a: 'y' }), true);
    assert.equal(matches("a <> 'x'", { a: 'x' }), false);
    assert.equal(matches("a != 'x'", { a: 'y' }), true);
    assert.equal(matches("a != 'x'", { a: 'x' }), false);
  });

  it('< > <= >= compare a header numerically with a number', () => {
    const h = { n: '10' };
    assert.deepEqual(
      ['n < 11', 'n < 10', 'n > 9', 'n > 10', 'n <= 10', 'n <= 9', 'n >= 10', 'n >= 11'].map((s) => matches(s, h)),
      [true, false, true, false, true, false, true, false],
    );
    assert.equal(matches('n > 9', { n: '10.0' }), true);
    assert.equal(matches('9 < n', { n: '10' }), true);
  });

  it('two strings compare exactly with = (no numeric conversion)', () => {
    assert.equal(matches("a = '1'", { a: '1.0' }), false);
    assert.equal(matches('a = b', { a: '1.0', b: '1' }), false);
    assert.equal(matches('a = b', { a: 'same', b: 'same' }), true);
  });

  it('a header compared with a number converts numerically', () => {
    assert.equal(matches('a = 1', { a: '1.0' }), true);
    assert.equal(matches('a = 100', { a: '1e2' }), true);
  });

  it('ordering two headers is lexical, as in ActiveMQ', () => {
    assert.equal(matches('a < b', { a: '10', b: '9' }), true);
    assert.equal(matches('a > b', { a: 'b', b: 'a' }), true);
    assert.equal(matches('a >= b', { a: 'x', b: 'x' }), true);
  });

  it('ordering with a string or boolean literal is rejected, as in ActiveMQ', () => {
    rejects("a < 'x'", 5, /expected a number or identifier for '<' at column 5, found a string/);
    rejects('TRUE >= a', 1, /for '>=' at column 1, found a condition/);
    rejects('a > NULL', 5, /found NULL/);
  });

  it('comparing literals of different types is rejected', () => {
    rejects("'1' = 1", 1, /cannot compare a string with a number at column 1/);
    rejects('TRUE <> 0', 1, /cannot compare a condition with a number/);
  });

  it('= NULL is rejected in favour of IS NULL', () => {
    rejects('a = NULL', 5, /cannot compare with NULL using '=' at column 5 \(use IS NULL or IS NOT NULL\)/);
    rejects('NULL != a', 1, /using '!='/);
  });

  it('a condition can be compared with TRUE/FALSE', () => {
    assert.equal(matches('(a = 1) = FALSE', { a: '2' }), true);
    assert.equal(matches('(a = 1) = flag', { a: '1', flag: 'true' }), true);
  });
});

describe('numbers from header strings', () => {
  it('accepts exactly the number-literal syntax with an optional sign', () => {
    for (const v of ['12', '+12', '-12', '12.0', '1.2e1', '120E-1', '.12e2', '12.']) {
      assert.equal(truth('x = 12', { x: v }), v.startsWith('-') ? 'FALSE' : 'TRUE', v);
    }
  });

  it('anything else is not a number: the comparison is unknown', () => {
    for (const v of ['12abc', '', ' 12', '12 ', '0x0c', 'Infinity', 'NaN', '1_2', '1e', '--12', '1,2']) {
      assert.equal(truth('x = 12', { x: v }), 'UNKNOWN', JSON.stringify(v));
      assert.equal(truth('x + 0 < 100', { x: v }), 'UNKNOWN', JSON.stringify(v));
    }
  });

  it('arithmetic + - * / on header values', () => {
    const h = { a: '3', b: '4' };
    assert.equal(matches('a + b = 7', h), true);
    assert.equal(matches('b - a = 1', h), true);
    assert.equal(matches('a * b = 12', h), true);
    assert.equal(matches('a / 2 = 1.5', h), true, 'division is not integer division');
    assert.equal(matches('-a = -3', h), true);
    assert.equal(matches('+a = 3', h), true);
    assert.equal(matches('- -a = 3', h), true);
  });

  it('division by zero is unknown', () => {
    assert.equal(truth('a / 0 > 1', { a: '3' }), 'UNKNOWN');
    assert.equal(truth('a / b = 0', { a: '0', b: '-0' }), 'UNKNOWN');
  });

  it('arithmetic on a string literal is rejected', () => {
    rejects("a + 'x' = 1", 5, /expected a number or identifier for '\+' at column 5, found a string/);
    rejects("-'x' = 1", 2, /for unary '-' at column 2/);
  });
});

describe('precedence', () => {
  it('AND binds tighter than OR', () => {
    const h = { a: '1', b: '0', c: '0' };
    assert.equal(matches('a = 1 OR b = 1 AND c = 1', h), true);
    assert.equal(matches('(a = 1 OR b = 1) AND c = 1', h), false);
  });

  it('NOT binds tighter than AND', () => {
    assert.equal(matches('NOT a = 1 AND b = 1', { a: '0', b: '1' }), true);
    assert.equal(matches('NOT a = 1 AND b = 1', { a: '1', b: '0' }), false);
    assert.equal(matches('NOT (a = 1 AND b = 1)', { a: '1', b: '0' }), true);
  });

  it('NOT NOT cancels out', () => {
    assert.equal(matches('NOT NOT a = 1', { a: '1' }), true);
  });

  it('* and / bind tighter than + and -, and all are left-associative', () => {
    assert.equal(matches('2 + 3 * 4 = 14'), true);
    assert.equal(matches('(2 + 3) * 4 = 20'), true);
    assert.equal(matches('10 - 4 - 3 = 3'), true);
    assert.equal(matches('24 / 4 / 2 = 3'), true);
    assert.equal(matches('2 * -3 = -6'), true);
  });

  it('arithmetic binds tighter than comparison, comparison tighter than AND', () => {
    assert.equal(matches('a + 1 > 2 AND a - 1 < 2', { a: '2' }), true);
  });

  it('comparisons do not chain', () => {
    rejects('1 < 2 < 3', 7, /expected an operator or end of input at column 7, found '<'/);
  });
});

describe('three-valued logic with missing headers', () => {
  it('a comparison with a missing header is unknown, so neither it nor its negation matches', () => {
    for (const s of ["x = 'a'", "x <> 'a'", 'x < 1', 'x >= 1', 'x = TRUE', 'x + 1 = 2', 'x = y']) {
      assert.equal(truth(s, { y: 'a' }), 'UNKNOWN', s);
    }
  });

  it('AND: FALSE wins over unknown, TRUE AND unknown is unknown', () => {
    assert.equal(truth("a = 1 AND x = 'q'", { a: '2' }), 'FALSE');
    assert.equal(truth("x = 'q' AND a = 1", { a: '2' }), 'FALSE');
    assert.equal(truth("a = 1 AND x = 'q'", { a: '1' }), 'UNKNOWN');
    assert.equal(truth("x = 'q' AND y = 'q'"), 'UNKNOWN');
  });

  it('OR: TRUE wins over unknown, FALSE OR unknown is unknown', () => {
    assert.equal(truth("a = 1 OR x = 'q'", { a: '1' }), 'TRUE');
    assert.equal(truth("x = 'q' OR a = 1", { a: '1' }), 'TRUE');
    assert.equal(truth("a = 1 OR x = 'q'", { a: '2' }), 'UNKNOWN');
  });

  it('NOT unknown is unknown', () => {
    assert.equal(matches("NOT x = 'a'"), false);
    assert.equal(matches("NOT NOT x = 'a'"), false);
  });

  it('an empty header value is a value, not NULL', () => {
    assert.equal(matches("x = ''", { x: '' }), true);
    assert.equal(matches('x IS NOT NULL', { x: '' }), true);
  });
});

describe('IS NULL', () => {
  it('IS NULL and IS NOT NULL test for a missing header', () => {
    assert.equal(matches('x IS NULL'), true);
    assert.equal(matches('x IS NULL', { x: 'v' }), false);
    assert.equal(matches('x IS NOT NULL', { x: 'v' }), true);
    assert.equal(matches('x IS NOT NULL'), false);
  });

  it('an unknown arithmetic result IS NULL', () => {
    assert.equal(matches('x + 1 IS NULL', { x: 'abc' }), true);
    assert.equal(matches('x + 1 IS NOT NULL', { x: '2' }), true);
  });

  it('IS must be followed by [NOT] NULL', () => {
    rejects("x IS 'a'", 6, /expected NULL at column 6, found string 'a'/);
  });
});

describe('IN', () => {
  it('IN matches a header equal to one of the strings', () => {
    const sel = "color IN ('red', 'green', 'it''s')";
    assert.equal(matches(sel, { color: 'green' }), true);
    assert.equal(matches(sel, { color: "it's" }), true);
    assert.equal(matches(sel, { color: 'blue' }), false);
    assert.equal(matches("color IN ('red')", { color: 'red' }), true);
  });

  it('NOT IN matches a header equal to none of them', () => {
    assert.equal(matches("color NOT IN ('red', 'green')", { color: 'blue' }), true);
    assert.equal(matches("color NOT IN ('red', 'green')", { color: 'red' }), false);
  });

  it('IN and NOT IN on a missing header are unknown', () => {
    assert.equal(truth("color IN ('red')"), 'UNKNOWN');
    assert.equal(truth("color NOT IN ('red')"), 'UNKNOWN');
  });

  it('the IN list holds only string literals and is not empty', () => {
    rejects('x IN (1, 2)', 7, /expected a string literal at column 7, found number 1/);
    rejects('x IN ()', 7, /expected a string literal at column 7, found '\)'/);
    rejects("x IN ('a',)", 11, /expected a string literal at column 11/);
    rejects("x IN 'a'", 6, /expected '\(' at column 6, found string 'a'/);
    rejects("x IN ('a'", 10, /expected '\)' at column 10, found end of input/);
    rejects("1 IN ('a')", 1, /expected an identifier or string before IN at column 1, found a number/);
  });
});

describe('LIKE', () => {
  it('% matches any run of characters, including none', () => {
    assert.equal(matches("s LIKE 'ab%'", { s: 'ab' }), true);
    assert.equal(matches("s LIKE 'ab%'", { s: 'abcdef' }), true);
    assert.equal(matches("s LIKE '%ef'", { s: 'abcdef' }), true);
    assert.equal(matches("s LIKE 'a%d%f'", { s: 'abcdef' }), true);
    assert.equal(matches("s LIKE 'a%d%g'", { s: 'abcdef' }), false);
    assert.equal(matches("s LIKE '%'", { s: '' }), true);
    assert.equal(matches("s LIKE 'ab%'", { s: 'xab' }), false);
  });

  it('_ matches exactly one character (one code point)', () => {
    assert.equal(matches("s LIKE 'a_c'", { s: 'abc' }), true);
    assert.equal(matches("s LIKE 'a_c'", { s: 'ac' }), false);
    assert.equal(matches("s LIKE 'a_c'", { s: 'abbc' }), false);
    assert.equal(matches("s LIKE 'a_c'", { s: 'a😀c' }), true);
    assert.equal(matches("s LIKE '___'", { s: 'abc' }), true);
  });

  it('a pattern without wildcards must match the whole value', () => {
    assert.equal(matches("s LIKE 'abc'", { s: 'abc' }), true);
    assert.equal(matches("s LIKE 'abc'", { s: 'abcd' }), false);
    assert.equal(matches("s LIKE 'abc'", { s: 'zabc' }), false);
  });

  it('% and _ match line breaks', () => {
    assert.equal(matches("s LIKE 'a%b_c'", { s: 'a\n\nb\nc' }), true);
  });

  it('regex metacharacters in the pattern are literal', () => {
    assert.equal(matches("s LIKE 'a.b%'", { s: 'a.bc' }), true);
    assert.equal(matches("s LIKE 'a.b%'", { s: 'axb' }), false);
    assert.equal(matches("s LIKE 'a.b%'", { s: 'axbc' }), false);
    for (const lit of ['(a|b)*', '[x]+', '^$', 'a?', '{2}', '\\d', 'a/b', 'x-y']) {
      assert.equal(matches(`s LIKE ${quote(lit)}`, { s: lit }), true, lit);
    }
    assert.equal(matches("s LIKE '(a|b)*'", { s: 'a' }), false);
    assert.equal(matches("s LIKE '\\d'", { s: '1' }), false);
  });

  it('ESCAPE makes the next % or _ literal', () => {
    assert.equal(matches("s LIKE '100\\%' ESCAPE '\\'", { s: '100%' }), true);
    assert.equal(matches("s LIKE '100\\%' ESCAPE '\\'", { s: '1000' }), false);
    assert.equal(matches("s LIKE 'a!_b%' ESCAPE '!'", { s: 'a_bxyz' }), true);
    assert.equal(matches("s LIKE 'a!_b%' ESCAPE '!'", { s: 'axbxyz' }), false);
    assert.equal(matches("s LIKE 'a!!b' ESCAPE '!'", { s: 'a!b' }), true);
  });

  it('without ESCAPE a backslash is an ordinary character', () => {
    assert.equal(matches("s LIKE 'a\\%'", { s: 'a\\xyz' }), true);
  });

  it('NOT LIKE', () => {
    assert.equal(matches("s NOT LIKE 'a%'", { s: 'bcd' }), true);
    assert.equal(matches("s NOT LIKE 'a%'", { s: 'abc' }), false);
  });

  it('LIKE and NOT LIKE on a missing header are unknown', () => {
    assert.equal(truth("s LIKE '%'"), 'UNKNOWN');
    assert.equal(truth("s NOT LIKE 'a%'"), 'UNKNOWN');
  });

  it('the pattern and the ESCAPE character must be string literals, ESCAPE one character', () => {
    rejects('s LIKE x', 8, /expected a string pattern after LIKE at column 8, found identifier x/);
    rejects("s LIKE 'a' ESCAPE 'ab'", 19, /expected a one-character string after ESCAPE at column 19, found string 'ab'/);
    rejects("s LIKE 'a' ESCAPE ''", 19, /one-character string/);
    rejects("s LIKE 'ab!' ESCAPE '!'", 8, /expected a character after the ESCAPE character '!' in the LIKE pattern at column 8/);
    rejects("1 LIKE 'a'", 1, /before LIKE at column 1, found a number/);
  });

  it('matching does not backtrack catastrophically', () => {
    const sel = compileSelector("s LIKE '%a%a%a%a%a%a%a%a%a%a%b'");
    const value = 'a'.repeat(50_000);
    const t0 = performance.now();
    assert.equal(sel(lookup({ s: value })), false);
    assert.equal(sel(lookup({ s: `${value}b` })), true);
    assert.ok(performance.now() - t0 < 2000, 'LIKE took too long');
  });
});

describe('BETWEEN', () => {
  it('BETWEEN includes both bounds', () => {
    for (const [v, want] of [['0', false], ['1', true], ['3', true], ['5', true], ['5.5', false]] as const) {
      assert.equal(matches('n BETWEEN 1 AND 5', { n: v }), want, v);
    }
  });

  it('NOT BETWEEN', () => {
    assert.equal(matches('n NOT BETWEEN 1 AND 5', { n: '6' }), true);
    assert.equal(matches('n NOT BETWEEN 1 AND 5', { n: '3' }), false);
  });

  it('BETWEEN on a missing or non-numeric header is unknown', () => {
    assert.equal(truth('n BETWEEN 1 AND 5'), 'UNKNOWN');
    assert.equal(truth('n NOT BETWEEN 1 AND 5', { n: 'abc' }), 'UNKNOWN');
  });

  it('BETWEEN is FALSE when one bound already fails, even if the other is unknown', () => {
    assert.equal(truth('n BETWEEN lo AND hi', { n: '0', lo: '1' }), 'FALSE');
    assert.equal(truth('n BETWEEN lo AND hi', { n: '9', hi: '5' }), 'FALSE');
    assert.equal(truth('n BETWEEN lo AND hi', { n: '3', lo: '1' }), 'UNKNOWN');
  });

  it('BETWEEN bounds are arithmetic expressions, and its AND is not the logical AND', () => {
    assert.equal(matches("n BETWEEN 2 * 2 AND 10 - 1 AND s = 'x'", { n: '4', s: 'x' }), true);
    assert.equal(matches("n BETWEEN 2 * 2 AND 10 - 1 AND s = 'x'", { n: '4', s: 'y' }), false);
  });

  it('BETWEEN with string bounds is rejected and needs AND', () => {
    rejects("n BETWEEN 'a' AND 'z'", 11, /expected a number or identifier for BETWEEN at column 11, found a string/);
    rejects('n BETWEEN 1 OR 5', 13, /expected AND at column 13, found OR/);
  });
});
