// Debian's paho.mqtt.c-examples 1.3 (paho_c_pub, paho_c_sub: the Eclipse Paho C library
// that embedded and C/C++ clients are built on) against the started `stompbox` CLI over
// real sockets: QoS 0/1/2 over MQTT 3.1.1 and 5, MQTT over WebSocket (`-c ws://…/mqtt`)
// both ways, retained messages, a will, a refused login, and a publish that reaches a STOMP
// subscriber. Only these two examples are used: the MQTTClient_* ones name remote hosts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { spawnBroker } from '../../dist/test/support/spawn-broker.js';
import { missingUnless, sleep, stompWatcher, unique, waitFor } from './helpers.mjs';

const PUB = '/usr/bin/paho_c_pub';
const SUB = '/usr/bin/paho_c_sub';
const skip = missingUnless(existsSync(PUB) && existsSync(SUB), 'paho.mqtt.c-examples');
const LOGIN = ['-u', 'app', '-P', 'secret'];

describe('Paho C 1.3 (paho_c_pub, paho_c_sub)', { skip }, () => {
  let broker;
  let tcp;
  let ws;
  before(async () => {
    broker = await spawnBroker(['--users', 'app:secret']);
    tcp = ['-h', '127.0.0.1', '-p', String(broker.mqttPort)];
    ws = ['-c', `ws://127.0.0.1:${broker.httpPort}/mqtt`];
  });
  after(async () => {
    await broker?.stop();
  });

  /** paho_c_pub; resolves with its exit code and output. */
  function pub(args, where = tcp) {
    return new Promise((resolve) => {
      execFile(PUB, [...where, ...args], { timeout: 10000 }, (err, stdout, stderr) => resolve({ code: err ? err.code ?? err.signal : 0, out: stdout + stderr }));
    });
  }

  /**
   * paho_c_sub with its protocol trace (line-buffered through stdbuf: into a pipe it would
   * hold lines back); resolves once the SUBACK has come. `messages()` are the payload lines
   * (the trace lines left out); it runs until killed.
   */
  async function sub(args, where = tcp) {
    const child = spawn('/usr/bin/stdbuf', ['-oL', SUB, ...where, '--trace', 'protocol', ...args]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const done = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
    const messages = () => out.split('\n').filter((l) => l !== '' && !l.startsWith('Trace') && !/^\s/.test(l));
    await waitFor(() => /<- SUBACK/.test(out) || child.exitCode !== null, 5000, 'paho_c_sub to subscribe');
    const stop = async () => {
      child.kill('SIGTERM');
      await done;
    };
    return { child, done, messages, stop, output: () => out };
  }

  for (const version of ['311', '5']) {
    for (const qos of [0, 1, 2]) {
      test(`MQTT ${version} QoS ${qos}: paho_c_pub to paho_c_sub, in order`, async () => {
        const topic = `pc/${unique('q')}`;
        const s = await sub(['-t', topic, '-q', String(qos), '-V', version, '-i', unique('pcsub'), ...LOGIN]);
        for (let i = 0; i < 3; i++) {
          const r = await pub(['-t', topic, '-q', String(qos), '-V', version, '-i', unique('pcpub'), '-m', `m${i}`, ...LOGIN]);
          assert.equal(r.code, 0, r.out);
        }
        await waitFor(() => s.messages().length >= 3, 5000, 'three messages');
        await sleep(100);
        await s.stop();
        assert.deepEqual(s.messages(), ['m0', 'm1', 'm2']);
        // The trace shows each came at the QoS asked for.
        assert.equal(s.output().match(new RegExp(`<- PUBLISH msgid: \\d+ qos: ${qos}`, 'g'))?.length, 3, s.output());
      });
    }
  }

  test('over WebSocket: published over TCP to a WebSocket subscriber, and the other way', async () => {
    const topic = `pc/${unique('ws')}`;
    const overWs = await sub(['-t', topic, '-q', '1', '-i', unique('pcws'), ...LOGIN], ws);
    assert.equal((await pub(['-t', topic, '-q', '1', '-m', 'tcp to ws', ...LOGIN])).code, 0);
    const overTcp = await sub(['-t', `${topic}/back`, '-q', '2', '-V', '5', '-i', unique('pctcp'), ...LOGIN]);
    const r = await pub(['-t', `${topic}/back`, '-q', '2', '-V', '5', '-m', 'ws to tcp', ...LOGIN], ws);
    assert.equal(r.code, 0, r.out);
    await waitFor(() => overWs.messages().length >= 1 && overTcp.messages().length >= 1, 5000, 'both messages');
    await Promise.all([overWs.stop(), overTcp.stop()]);
    assert.deepEqual(overWs.messages(), ['tcp to ws']);
    assert.deepEqual(overTcp.messages(), ['ws to tcp']);
  });

  // paho_c_sub's -R (hide retained messages) shows them all the same, against Mosquitto 2.0 too: not tested.
  test('retained: -r is kept for a later subscriber (retain flag set), -r -n clears it', async () => {
    const topic = `pc/${unique('ret')}`;
    assert.equal((await pub(['-t', topic, '-r', '-q', '1', '-m', 'last value', ...LOGIN])).code, 0);
    const s = await sub(['-t', topic, '-i', unique('pcret'), ...LOGIN]);
    await waitFor(() => s.messages().length >= 1, 3000, 'the retained message');
    await s.stop();
    assert.deepEqual(s.messages(), ['last value']);
    assert.match(s.output(), /<- PUBLISH msgid: \d+ qos: 0 retained: 1/);
    assert.equal((await pub(['-t', topic, '-r', '-n', ...LOGIN])).code, 0);
    const after = await sub(['-t', topic, '-i', unique('pcret'), ...LOGIN]);
    await sleep(500);
    await after.stop();
    assert.deepEqual(after.messages(), [], 'nothing retained after the clear');
  });

  test('a will: published when its client is killed', async () => {
    const willTopic = `pc/${unique('will')}`;
    const watcher = await sub(['-t', willTopic, '-q', '1', '-i', unique('pcwatch'), ...LOGIN]);
    const dying = await sub(['-t', `pc/${unique('idle')}`, '-i', unique('pcdying'), '--will-topic', willTopic, '--will-payload', 'gone', '--will-qos', '1', ...LOGIN]);
    dying.child.kill('SIGKILL');
    await waitFor(() => watcher.messages().length >= 1, 5000, 'the will');
    await watcher.stop();
    assert.deepEqual(watcher.messages(), ['gone']);
  });

  // paho_c_pub prints the refusal and then waits on (it never exits after a failed connect):
  // it is stopped once it has said so.
  test('a wrong password is refused over 3.1.1 and 5, and nothing is published', async () => {
    const topic = `pc/${unique('refused')}`;
    const watcher = await sub(['-t', topic, '-i', unique('pcw'), ...LOGIN]);
    for (const [version, rc] of [['311', 'Unknown error code 4'], ['5', '']]) {
      const child = spawn(PUB, [...tcp, '-t', topic, '-V', version, '-m', 'must not arrive', '-u', 'app', '-P', 'wrong']);
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      await waitFor(() => /Connect failed/.test(out), 5000, `paho_c_pub -V ${version} to report the refusal`);
      child.kill('SIGKILL');
      // 3.1.1 CONNACK return code 4: bad user name or password (§3.2.2.3).
      assert.ok(out.includes(rc), out);
    }
    await sleep(300);
    await watcher.stop();
    assert.deepEqual(watcher.messages(), []);
  });

  test('paho_c_pub to a/b reaches a STOMP subscriber of /topic/a.b', async () => {
    const word = unique('x').replace(/[^a-z0-9]/gi, '');
    const w = await stompWatcher(broker.stompPort, `/topic/pc.${word}`);
    await pub(['-t', `pc/${word}`, '-q', '1', '-V', '5', '--user-property', 'origin', 'paho', '-m', 'from paho_c_pub', ...LOGIN]);
    await waitFor(() => w.text().includes('from paho_c_pub'), 3000, 'the MESSAGE');
    assert.match(w.text(), new RegExp(`MESSAGE\\nsubscription:s\\n[^\\0]*destination:/topic/pc\\.${word}\\n`));
    assert.match(w.text(), /\norigin:paho\n/, 'the MQTT 5 user property arrives as a header');
    w.close();
  });
});
