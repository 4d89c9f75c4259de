/**
 * Shared by the selector tests (`test/selector/*.test.ts`): evaluating a selector
 * against a set of headers, its three-valued result, and the checks on a rejected one.
 */
import assert from 'node:assert/strict';
import { compileSelector, SelectorError, type HeaderLookup } from '../../src/core/selector.js';
import { ErrorCodes, StompboxError } from '../../src/errors.js';

export type Headers = Record<string, string>;

export function lookup(headers: Headers): HeaderLookup {
  return (name) => (Object.hasOwn(headers, name) ? headers[name] : undefined);
}

export function matches(selector: string, headers: Headers = {}): boolean {
  return compileSelector(selector)(lookup(headers));
}

/** The three-valued result of a condition: TRUE, FALSE or UNKNOWN, observed through `c` and `NOT (c)`. */
export function truth(condition: string, headers: Headers = {}): 'TRUE' | 'FALSE' | 'UNKNOWN' {
  if (matches(condition, headers)) return 'TRUE';
  return matches(`NOT (${condition})`, headers) ? 'FALSE' : 'UNKNOWN';
}

export function rejects(selector: string, column: number, message: RegExp): void {
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

/** A string literal holding `s`. */
export const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`;
