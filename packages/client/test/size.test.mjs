// The size budget (issue 5): the browser core, Client with its default WebSocket
// transport, at most 6 KB gzipped after esbuild and terser, as `npm run size` measures it
// (with the exact esbuild and terser of the lockfile, so the number is reproducible).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUDGET, measure } from '../scripts/size.mjs';

test('the browser core is within its 6 KB gzipped budget; the mini-program core and the single file are measured too', { timeout: 60000 }, async () => {
  const rows = Object.fromEntries(await measure());
  const [core, mp] = Object.keys(rows);
  assert.ok(rows[core].terser <= BUDGET, `browser core: ${rows[core].terser} bytes gzipped, budget ${BUDGET}`);
  // Not budgeted, but bounded so that a regression shows: the mini-program core adds the
  // SocketTask adapter and UTF-8 loops (about 0.5 KB).
  assert.ok(rows[mp].terser <= rows[core].terser + 700, `mini-program core: ${rows[mp].terser} bytes`);
  assert.ok(rows['lib/stompbox.min.js (SDK + facade, one file)'].terser <= 8.5 * 1024);
});
