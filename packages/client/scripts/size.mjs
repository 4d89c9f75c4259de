#!/usr/bin/env node
// Measures what users download, gzipped at level 9: each build is bundled and minified by
// esbuild (what a Vite user gets) and then by terser (what webpack and bundlephobia use,
// and what lib/stompbox.min.js is made with). @stomp/stompjs 7's Client is measured the
// same way, side by side. Budget: the browser core (Client with its default WebSocket
// transport) at most 6 KB gzipped after terser; `--check` exits non-zero over it.
import { build } from 'esbuild';
import { minify } from 'terser';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { common, TERSER } from './bundle.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
export const BUDGET = 6 * 1024;

async function bundled(contents, resolveDir, extra = {}) {
  const r = await build({ ...common, ...extra, stdin: { contents, resolveDir, loader: 'ts' }, minify: true, format: 'esm', write: false });
  const esbuilt = r.outputFiles[0].text;
  return { esbuilt, tersed: (await minify(esbuilt, { ...TERSER, module: true })).code };
}

const gz = (s) => gzipSync(s, { level: 9 }).length;

/** Rows of [name, { minified, esbuild, terser }] in bytes (gzipped unless `minified`). */
export async function measure() {
  const src = `${root}src`;
  const builds = [
    ['core, browser: Client + WebSocket (the budget)', await bundled("export { Client } from './index.js';", src)],
    ['core, mini-program: Client + uni/wx SocketTask + UTF-8 without TextEncoder', await bundled("export { Client } from './mini-program.js';", src)],
    ['browser entry (everything in @stompbox/client)', await bundled("export * from './index.js';", src)],
    ['stompjs 2.3.3 facade alone', await bundled("export { Stomp } from './compat/stompjs.js';", src)],
    ['@stomp/stompjs 7 Client (peer, same pipeline)', await bundled("export { Client } from '@stomp/stompjs';", root, { mangleProps: undefined })],
  ];
  const file = readFileSync(`${root}lib/stompbox.min.js`, 'utf8');
  return [
    ...builds.map(([name, b]) => [name, { minified: b.tersed.length, esbuild: gz(b.esbuilt), terser: gz(b.tersed) }]),
    ['lib/stompbox.min.js (SDK + facade, one file)', { minified: file.length, esbuild: undefined, terser: gz(file) }],
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await measure();
  const kb = (n) => (n === undefined ? '—' : `${(n / 1024).toFixed(2)} KB`);
  console.log('| build | minified | gzipped (esbuild) | gzipped (esbuild + terser) |\n|---|---|---|---|');
  for (const [name, r] of rows) console.log(`| ${name} | ${kb(r.minified)} | ${kb(r.esbuild)} | ${kb(r.terser)} |`);
  const core = rows[0][1].terser;
  if (process.argv.includes('--check') && core > BUDGET) {
    console.error(`the browser core is ${kb(core)} gzipped, over the ${kb(BUDGET)} budget`);
    process.exit(1);
  }
}
