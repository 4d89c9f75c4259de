// The stompjs 2.3.3 facade must do what stompjs 2.3.3 does. The broker's own
// real-client tests of stompjs (the stompjs-guide calls over TCP and WebSocket in Node,
// the same guide in headless Chromium, and the miniprogram-chat scenario with its
// stomp.js) are run again here, unchanged, with the facade in stompjs's place:
// lib/stompjs-node.cjs as require('stompjs'), lib/stompbox.min.js as the page's
// stomp.min.js and as the mini-program's stomp.js. Every test that passes on stompjs
// must pass on the facade.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const lib = (f) => fileURLToPath(new URL(`../../lib/${f}`, import.meta.url));
const broker = (f) => `packages/broker/test/${f}`;

function runTests(files, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=tap', ...files], {
      cwd: root,
      // Without the parent's NODE_TEST_CONTEXT the child reports as a test run of its own.
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(out)?.[1] ?? NaN);
      resolve({ code, out, tests: count('tests'), pass: count('pass'), fail: count('fail'), todo: count('todo') });
    });
  });
}

function check(r, expectAtLeast) {
  const lines = r.out.split('\n');
  const failed = lines.filter((l) => /^\s*not ok /.test(l) && !/# TODO/.test(l));
  // Each failure with its diagnostic block (the child's TAP puts it right after the line).
  const details = failed.map((f) => lines.slice(lines.indexOf(f), lines.indexOf(f) + 25).join('\n')).join('\n');
  assert.deepEqual(failed, [], `failing on the facade:\n${details}`);
  assert.equal(r.fail, 0);
  assert.equal(r.code, 0);
  assert.ok(r.pass >= expectAtLeast, `only ${r.pass} tests passed`);
}

test('the stompjs-guide calls in Node.js (overTCP, overWS, over) behave the same on the facade', { timeout: 120000 }, async () => {
  const r = await runTests([broker('clients/stompjs-guide-connect.test.mjs'), broker('clients/stompjs-guide-messaging.test.mjs')], {
    STOMPBOX_TEST_STOMPJS_MODULE: lib('stompjs-node.cjs'),
  });
  check(r, 40);
});

test('the miniprogram-chat scenario runs with its stomp.js replaced by lib/stompbox.min.js', { timeout: 120000 }, async () => {
  const r = await runTests([broker('clients/miniprogram-chat.test.mjs')], { STOMPBOX_TEST_STOMP_JS: lib('stompbox.min.js') });
  check(r, 6);
});

test('the stompjs-guide in headless Chromium behaves the same with lib/stompbox.min.js as stomp.min.js', { timeout: 120000 }, async () => {
  const r = await runTests([broker('browser/stompjs-browser-connect.test.mjs'), broker('browser/stompjs-browser-messaging.test.mjs'), broker('browser/ha-push-page.test.mjs')], {
    STOMPBOX_TEST_STOMP_MIN_JS: lib('stompbox.min.js'),
  });
  check(r, 14);
});
