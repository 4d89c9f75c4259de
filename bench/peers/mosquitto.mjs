// A private Mosquitto for one benchmark run: our own `mosquitto -c <tmp conf>` on a
// free 127.0.0.1 port (never the system service), anonymous, stopped by pid.
//
//   import { startMosquitto } from './peers/mosquitto.mjs';
//   const m = await startMosquitto();   // {mqttPort, pid, stop()}
//
// Limits are raised where Mosquitto's defaults would drop messages that Stompbox
// keeps (a 1,000-message queue per client, as Stompbox's mqttMaxOfflineMessages),
// so that both are measured doing the same work.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, killTree } from './rabbitmq.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export async function startMosquitto({ startTimeoutMs = 10000, log = false, bin = 'mosquitto' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompbox-bench-mosquitto-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'max_inflight_messages 100',
    'max_queued_messages 1000',
    'set_tcp_nodelay true',
    'log_dest none',
    '',
  ].join('\n'));
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  let exited = null;
  child.stdout.on('data', (d) => { output += d; if (log) process.stdout.write(d); });
  child.stderr.on('data', (d) => { output += d; if (log) process.stderr.write(d); });
  child.once('exit', (code, sig) => { exited = { code, sig }; });
  const stop = async () => {
    if (child.pid && exited === null) await killTree(child.pid, 3000);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + startTimeoutMs;
  while (!(await portOpen(port))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`mosquitto did not start: ${JSON.stringify(exited)} ${output.slice(-2000)}`);
    }
    await sleep(50);
  }
  let version = null;
  try { version = /mosquitto version (\S+)/.exec(output)?.[1] ?? null; } catch { /* none */ }
  return { name: 'mosquitto', mqttPort: port, pid: child.pid, version, stop };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const m = await startMosquitto({ log: true });
  console.log(JSON.stringify({ mqttPort: m.mqttPort, pid: m.pid }));
  await m.stop();
  console.log('stopped');
}
