import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ClientErrorCodes } from '../src/errors.js';

test('docs/client-errors.md lists every client error code, and no code that does not exist', () => {
  const doc = readFileSync(new URL('../../../../docs/client-errors.md', import.meta.url), 'utf8');
  const documented = new Set(doc.match(/STOMPBOX_CLIENT_ERR_[A-Z_]+/g));
  const defined = new Set<string>(Object.values(ClientErrorCodes));
  assert.deepEqual([...defined].filter((c) => !documented.has(c)), []);
  assert.deepEqual([...documented].filter((c) => !defined.has(c)), []);
});
