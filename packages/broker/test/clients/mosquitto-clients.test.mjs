// Debian's mosquitto-clients 2.0 (mosquitto_pub, mosquitto_sub: what people script MQTT
// with) against the started `stompbox` CLI over real sockets: QoS 0/1/2, retained
// messages, a kept session (-c) that gets what was published while it was away, MQTT 5
// properties, a will, a refused login, and a publish that reaches a STOMP subscriber.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { spawnBroker } from '../../dist/test/support/spawn-broker.js';
import { missingUnless, stompWatcher, unique, waitFor } from './helpers.mjs';

const skip = missingUnless(existsSync('/usr/bin/mosquitto_pub') && existsSync('/usr/bin/mosquitto_sub'), 'mosquitto-clients');
const LOGIN = ['-u', 'app', '-P', 'secret'];

describe('mosquitto-clients 2.0', { skip }, () => {
  let broker;
  let base;
  before(async () => {
    broker = await spawnBroker(['--users', 'app:secret']);
    base = ['-h', '127.0.0.1', '-p', String(broker.mqttPort)];
  });
  after(async () => {
    await broker?.stop();
  });

  /** mosquitto_pub; resolves with its exit code and output. */
  function pub(args) {
    return new Promise((resolve) => {
      execFile('/usr/bin/mosquitto_pub', [...base, ...args], { timeout: 10000 }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
    });
  }

  /**
   * mosquitto_sub printing `topic|qos|retain|payload|user properties` per message; resolves
   * once it has subscribed (debug output), with `done` for its exit and `lines`.
   */
  async function sub(args) {
    // Line-buffered (stdbuf): into a pipe its stdio would hold the SUBACK line back.
    const child = spawn('/usr/bin/stdbuf', ['-oL', '/usr/bin/mosquitto_sub', ...base, '-d', '-F', 'MSG %t|%q|%r|%p|%P', '-W', '8', ...args]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const done = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const lines = () => out.split('\n').filter((l) => l.startsWith('MSG ')).map((l) => l.slice(4));
    await waitFor(() => /received SUBACK/.test(out) || child.exitCode !== null, 5000, 'mosquitto_sub to subscribe');
    return { child, done, lines, output: () => out };
  }

  for (const qos of [0, 1, 2]) {
    test(`QoS ${qos}: mosquitto_pub to mosquitto_sub, in order`, async () => {
      const topic = `mq/${unique('q')}`;
      const s = await sub(['-t', topic, '-q', String(qos), '-C', '3', ...LOGIN]);
      for (let i = 0; i < 3; i++) assert.equal((await pub(['-t', topic, '-q', String(qos), '-m', `m${i}`, ...LOGIN])).code, 0);
      assert.equal(await s.done, 0, s.output());
      assert.deepEqual(s.lines(), [0, 1, 2].map((i) => `${topic}|${qos}|0|m${i}|`));
    });
  }

  test('retained: -r is kept for a later subscriber (retain flag set), -r -n clears it', async () => {
    const topic = `mq/${unique('ret')}`;
    assert.equal((await pub(['-t', topic, '-r', '-q', '1', '-m', 'last value', ...LOGIN])).code, 0);
    const s = await sub(['-t', topic, '-C', '1', ...LOGIN]);
    assert.equal(await s.done, 0);
    assert.deepEqual(s.lines(), [`${topic}|0|1|last value|`]);
    assert.equal((await pub(['-t', topic, '-r', '-n', ...LOGIN])).code, 0);
    const again = await sub(['-t', topic, '-C', '1', '-W', '1', ...LOGIN]);
    await again.done;
    assert.deepEqual(again.lines(), [], 'nothing retained after the clear');
  });

  test('a kept session (-c -i): what was published at QoS 1 while it was away arrives, in order', async () => {
    const topic = `mq/${unique('kept')}`;
    const id = unique('kept-sub');
    const first = await sub(['-t', topic, '-q', '1', '-c', '-i', id, '-C', '1', ...LOGIN]);
    first.child.kill('SIGTERM');
    await first.done;
    for (let i = 0; i < 3; i++) await pub(['-t', topic, '-q', '1', '-m', `away${i}`, ...LOGIN]);
    const back = await sub(['-t', topic, '-q', '1', '-c', '-i', id, '-C', '3', ...LOGIN]);
    assert.equal(await back.done, 0, back.output());
    assert.deepEqual(back.lines(), [0, 1, 2].map((i) => `${topic}|1|0|away${i}|`));
  });

  test('MQTT 5 (-V 5): user properties pass through, an expired message is not delivered', async () => {
    const topic = `mq/${unique('v5')}`;
    const s = await sub(['-V', '5', '-t', topic, '-q', '1', '-C', '1', ...LOGIN]);
    await pub(['-V', '5', '-t', topic, '-q', '1', '-m', 'with props', '-D', 'publish', 'user-property', 'origin', 'sensor-7', ...LOGIN]);
    assert.equal(await s.done, 0);
    assert.deepEqual(s.lines(), [`${topic}|1|0|with props|origin:sensor-7`]);
    const retained = `mq/${unique('v5-exp')}`;
    await pub(['-V', '5', '-t', retained, '-r', '-q', '1', '-m', 'short-lived', '-D', 'publish', 'message-expiry-interval', '1', ...LOGIN]);
    await new Promise((r) => setTimeout(r, 2100));
    const late = await sub(['-V', '5', '-t', retained, '-C', '1', '-W', '1', ...LOGIN]);
    await late.done;
    assert.deepEqual(late.lines(), [], 'the retained message expired');
  });

  test('a will: published when its client dies without DISCONNECT', async () => {
    const willTopic = `mq/${unique('will')}`;
    const watcher = await sub(['-t', willTopic, '-C', '1', ...LOGIN]);
    const dying = await sub(['-t', `mq/${unique('idle')}`, '--will-topic', willTopic, '--will-payload', 'gone', '--will-qos', '1', ...LOGIN]);
    dying.child.kill('SIGKILL');
    assert.equal(await watcher.done, 0, watcher.output());
    assert.deepEqual(watcher.lines(), [`${willTopic}|0|0|gone|`]);
  });

  test('a wrong password is refused (3.1.1: not authorised; 5: bad user name or password)', async () => {
    const v3 = await pub(['-t', 'mq/x', '-m', 'x', '-u', 'app', '-P', 'wrong']);
    assert.notEqual(v3.code, 0);
    assert.match(v3.stderr, /not authori[sz]ed|Connection Refused/i);
    const v5 = await pub(['-V', '5', '-t', 'mq/x', '-m', 'x', '-u', 'app', '-P', 'wrong']);
    assert.notEqual(v5.code, 0);
    assert.match(v5.stderr, /bad user name or password|not authori[sz]ed/i);
  });

  test('mosquitto_pub to a/b reaches a STOMP subscriber of /topic/a.b', async () => {
    const word = unique('x').replace(/[^a-z0-9]/gi, '');
    const w = await stompWatcher(broker.stompPort, `/topic/mq.${word}`);
    await pub(['-t', `mq/${word}`, '-q', '1', '-m', 'from mosquitto_pub', ...LOGIN]);
    await waitFor(() => w.text().includes('from mosquitto_pub'), 3000, 'the MESSAGE');
    assert.match(w.text(), new RegExp(`MESSAGE\\nsubscription:s\\n[^\\0]*destination:/topic/mq\\.${word}\\n`));
    w.close();
  });
});
