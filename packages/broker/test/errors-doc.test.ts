import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ErrorCodes } from '../src/errors.js';

test('docs/errors.md lists every error code, and no code that does not exist', () => {
  const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Set(doc.match(/STOMPBOX_ERR_[A-Z_]+/g));
  const defined = new Set(Object.values(ErrorCodes));
  assert.deepEqual([...defined].filter((c) => !documented.has(c)), []);
  assert.deepEqual([...documented].filter((c) => !defined.has(c as never)), []);
});
