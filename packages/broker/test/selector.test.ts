import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileSelector, SelectorError, type HeaderLookup } from '../src/core/selector.js';
import { ErrorCodes, StompboxError } from '../src/errors.js';

type Headers = Record<string, string>;

function lookup(headers: Headers): HeaderLookup {
  return (name) => (Object.hasOwn(headers, name) ? headers[name] : undefined);
}

function matches(selector: string, headers: Headers = {}): boolean {
  return compileSelector(selector)(lookup(headers));
}

/** The three-valued result of a condition: TRUE, FALSE or UNKNOWN, observed through `c` and `NOT (c)`. */
function truth(condition: string, headers: Headers = {}): 'TRUE' | 'FALSE' | 'UNKNOWN' {
  if (matches(condition, headers)) return 'TRUE';
  return matches(`NOT (${condition})`, headers) ? 'FALSE' : 'UNKNOWN';
}

function rejects(selector: string, column: number, message: RegExp): void {
  assert.throws(
    () => compileSelector(selector),
    (e: unknown) => {
      assert.ok(e instanceof SelectorError, `not a SelectorError: ${String(e)}`);
      assert.ok(e instanceof StompboxError);
      assert.equal(e.code, ErrorCodes.BAD_SELECTOR);
      assert.equal(e.fatal, true);
      assert.equal(e.position, column, e.message);
      assert.match(e.message, /^selector: /);
      assert.match(e.message, new RegExp(`at column ${column}\\b`));
      assert.match(e.message, message);
      return true;
    },
  );
}

const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`;
const likeLiteral = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

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
