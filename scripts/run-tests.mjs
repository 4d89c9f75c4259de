#!/usr/bin/env node
// Runs every compiled test file of every package with node's test runner.
// Test files are `packages/*/dist/test/**/*.test.js` (compiled from `test/**/*.test.ts`)
// plus plain `test/**/*.test.mjs` files (scenario tests that drive third-party clients).
// `--only PATTERN` limits to files whose path contains PATTERN.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

function walk(dir, out) {
  let names;
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.test\.(js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  // Compiled TypeScript tests, and plain .mjs tests that drive third-party clients.
  for (const f of walk(join(root, 'packages', pkg, 'dist', 'test'), [])) if (f.endsWith('.test.js')) files.push(f);
  for (const f of walk(join(root, 'packages', pkg, 'test'), [])) if (f.endsWith('.test.mjs')) files.push(f);
}
const selected = files.filter((f) => only === undefined || f.includes(only)).sort();
if (selected.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
console.log(`running ${selected.length} test files`);
const res = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...selected.map((f) => relative(root, f))], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, STOMPBOX_TEST: '1' },
});
process.exit(res.status ?? 1);
