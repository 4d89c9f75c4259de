#!/usr/bin/env node
// Measures what users download, minified and gzipped (level 9): the core (Client with
// its transports for browsers and mini-programs, codec included), the whole browser
// entry, the stompjs facade, and the single file. Budget: core <= 6 KB gzipped.
// `--check` exits non-zero when the core is over budget.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { common } from './bundle.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const BUDGET = 6 * 1024;

async function minified(contents) {
  const r = await build({ ...common, stdin: { contents, resolveDir: `${root}src`, loader: 'ts' }, minify: true, format: 'esm', write: false });
  return r.outputFiles[0].contents;
}

const rows = [
  ['core: Client + WebSocket/wx/uni transports', await minified("export { Client } from './client.js';")],
  ['browser entry (everything in @stompbox/client)', await minified("export * from './index.js';")],
  ['stompjs 2.3.3 facade alone', await minified("export { Stomp } from './compat/stompjs.js';")],
  ['lib/stompbox.min.js (SDK + facade, one file)', readFileSync(`${root}lib/stompbox.min.js`)],
];
const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
console.log('| build | minified | gzipped |\n|---|---|---|');
for (const [name, bytes] of rows) console.log(`| ${name} | ${kb(bytes.length)} | ${kb(gzipSync(bytes, { level: 9 }).length)} |`);
const core = gzipSync(rows[0][1], { level: 9 }).length;
if (process.argv.includes('--check') && core > BUDGET) {
  console.error(`core is ${kb(core)} gzipped, over the ${kb(BUDGET)} budget`);
  process.exit(1);
}
