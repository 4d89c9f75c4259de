#!/usr/bin/env node
// Builds lib/: ESM and CommonJS for bundlers and Node (the codec bundled in, so users
// install nothing else), and lib/stompbox.min.js, one minified file for a <script> tag
// or for copying into a mini-program project (it defines `Stompbox`, and `Stomp` for
// stompjs code; under CommonJS it is module.exports).
import { build } from 'esbuild';
import { minify } from 'terser';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/**
 * Shared with size.mjs. ES2020 (optional chaining, `??`) runs in every browser of the
 * last five years and in WeChat/uni-app runtimes (their build tools lower it further
 * when asked). The codec is bundled from its TypeScript source, and class fields are
 * plain assignments: smaller than the define-semantics helpers.
 * Internal members end in `_` (`this.queue_`): esbuild renames them to short names in
 * every build (they never cross a bundle's edge; public names have no trailing `_`).
 */
export const common = {
  absWorkingDir: root,
  bundle: true,
  target: 'es2020',
  legalComments: 'none',
  logLevel: 'warning',
  external: ['ws', 'node:*'],
  alias: { '@stompbox/stomp-codec': '../stomp-codec/src/index.ts' },
  mangleProps: /[^_]_$/,
  tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
};

/**
 * lib/stompbox.min.js goes through terser after esbuild: 3-4% smaller gzipped (two
 * compress passes; esbuild's minifier is built for speed). Shared with size.mjs.
 */
export const TERSER = { ecma: 2020, compress: { passes: 2 } };

const entries = [
  ['src/index.ts', 'index', 'neutral'],
  ['src/node.ts', 'node', 'node'],
  ['src/mini-program.ts', 'mini-program', 'neutral'],
  ['src/compat/stompjs.ts', 'stompjs', 'neutral'],
  ['src/compat/stompjs-node.ts', 'stompjs-node', 'node'],
];

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle();

async function bundle() {
await Promise.all([
  ...entries.flatMap(([entry, name, platform]) => [
    build({ ...common, entryPoints: [entry], outfile: `lib/${name}.js`, format: 'esm', platform }),
    build({ ...common, entryPoints: [entry], outfile: `lib/${name}.cjs`, format: 'cjs', platform }),
  ]),
  build({
    ...common,
    entryPoints: ['src/bundle.ts'],
    outfile: 'lib/stompbox.min.js',
    format: 'iife',
    platform: 'browser',
    globalName: 'Stompbox',
    minify: true,
    footer: {
      js: 'typeof module=="object"&&module.exports?module.exports=Stompbox:typeof self=="object"&&(self.Stompbox=Stompbox,self.Stomp=self.Stomp||Stompbox.Stomp);',
    },
  }),
]);
const file = `${root}lib/stompbox.min.js`;
writeFileSync(file, (await minify(readFileSync(file, 'utf8'), TERSER)).code);
}
