// The mosca "offline messages" scenario (shared/scenarios/mqtt-offline/), run unchanged:
// sub.js (clientId cli_sub, clean: false, QoS 1 on `test`) and pub.js ("Hello mqtt N" at
// QoS 1 every second) as their author wrote them, started with node, `require('mqtt')`
// resolving to this repository's mqtt.js through NODE_PATH. Stompbox takes mosca's place on
// port 5112 with its embedded store (a temp --data-dir) instead of MongoDB.
//
// What must hold: the subscriber stopped, then away for 3 messages, the broker killed
// (SIGKILL) and started again, 3 more messages, then the subscriber started again: it prints
// all 6 it missed, each once, in the order published (mosca did not promise the order), and
// the live ones after them.
//
// The scripts connect to mqtt://localhost:5112: the broker binds the loopback address that
// `localhost` resolves to here (127.0.0.1, or ::1 where that is all there is).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnBroker } from '../../dist/test/support/spawn-broker.js';

const require = createRequire(import.meta.url);
const SCENARIO = fileURLToPath(new URL('../../../../../shared/scenarios/mqtt-offline/', import.meta.url));
const MQTT_JS = require.resolve('mqtt');
const NODE_PATH = MQTT_JS.slice(0, MQTT_JS.lastIndexOf('/node_modules/') + '/node_modules'.length);
const PORT = 5112;

const dataDir = mkdtempSync(join(tmpdir(), 'stompbox-mqtt-offline-'));
const running = new Set();
after(async () => {
  for (const p of [...running]) await p.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs one of the scenario's scripts as it is; collects the numbers it prints. */
function script(name) {
  const child = spawn(process.execPath, [join(SCENARIO, name)], {
    cwd: SCENARIO,
    env: { ...process.env, NODE_PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const numbers = [];
  const waiters = [];
  let out = '';
  let err = '';
  const exited = new Promise((r) => child.on('exit', r));
  child.stdout.on('data', (d) => {
    out += d.toString();
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      // sub.js: "received message:  Hello mqtt N"; pub.js: the counter when a PUBACK came.
      const m = /(\d+)\s*$/.exec(line);
      if (m) numbers.push(Number(m[1]));
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (d) => (err += d.toString()));
  const p = {
    numbers,
    /** Waits until `pred(numbers)` holds. */
    async until(pred, what, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (!pred(numbers)) {
        const left = deadline - Date.now();
        if (left <= 0) assert.fail(`${name}: ${what} within ${ms} ms; printed ${JSON.stringify(numbers)}${err ? `; stderr: ${err}` : ''}`);
        await new Promise((r) => {
          const t = setTimeout(r, Math.min(left, 200));
          waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
    },
    /** Stops it by its process id (as Ctrl+C would) and waits for it to exit. */
    async stop() {
      running.delete(p);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  running.add(p);
  return p;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('mqtt-offline: sub.js away for 3 messages, a broker crash, 3 more: it gets all 6 once each, in publish order, then the live ones', async () => {
  const addrs = await lookup('localhost', { all: true });
  const host = addrs.some((a) => a.address === '127.0.0.1') ? '127.0.0.1' : '::1';
  assert.ok(addrs.some((a) => a.address === host), `localhost resolves to ${JSON.stringify(addrs)}`);
  const args = ['--mqtt-port', String(PORT), '--host', host, '--data-dir', dataDir];
  let broker = await spawnBroker(args);
  try {
    let sub = script('sub.js');
    await sleep(500); // connected and subscribed before the first publish (pub.js waits a second too)
    const pub = script('pub.js');
    await sub.until((n) => n.length > 0, 'a first live message');
    await sleep(150); // its PUBACK is on its way (mqtt.js sends it as it prints)
    await sub.stop();
    const seen = sub.numbers[sub.numbers.length - 1];

    // Away: 3 messages, acknowledged (so stored), then a crash.
    await pub.until((n) => n.some((x) => x >= seen + 3), `the PUBACK of message ${seen + 3}`);
    await sleep(150);
    await broker.stop('SIGKILL');
    broker = await spawnBroker(args);
    // pub.js reconnects by itself (mqtt.js, every second) and goes on; 3 more while sub is away.
    await pub.until((n) => n.some((x) => x >= seen + 6), `the PUBACK of message ${seen + 6} after the restart`, 15_000);

    sub = script('sub.js');
    await sub.until((n) => n.length >= 8, '6 missed and 2 live messages');
    const want = Array.from({ length: 8 }, (_, i) => seen + 1 + i);
    assert.deepEqual(sub.numbers.slice(0, 8), want, 'the missed ones once each, in publish order, then live ones');
    await sub.stop();
    await pub.stop();
    const again = sub.numbers;
    assert.equal(new Set(again).size, again.length, `no message twice: ${JSON.stringify(again)}`);
  } finally {
    await broker.stop('SIGKILL');
  }
});
