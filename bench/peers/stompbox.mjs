// Start the Stompbox CLI as a child process for one benchmark run.
//
//   import { startStompbox } from './peers/stompbox.mjs';
//   const s = await startStompbox();   // {stompPort, wsUrl, pid, stop()}
//
// Contract with the CLI (packages/broker/dist/src/cli.js): with --stomp-port 0
// and --http-port 0 it binds 127.0.0.1 on ephemeral ports and prints lines like
//   "  stomp  tcp://127.0.0.1:PORT"
//   "  ws     ws://127.0.0.1:PORT/ws"
// on stdout once it is listening.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killTree } from './rabbitmq.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const STOMPBOX_CLI = process.env.STOMPBOX_CLI || path.join(ROOT, 'packages/broker/dist/src/cli.js');

const STOMP_RE = /^\s*stomp\s+tcp:\/\/127\.0\.0\.1:(\d+)\s*$/;
const WS_RE = /^\s*ws\s+(ws:\/\/127\.0\.0\.1:\d+\/\S*)\s*$/;
const MQTT_RE = /^\s*mqtt\s+mqtt:\/\/127\.0\.0\.1:(\d+)\s*$/;

// The broker runs as `npm start` and the `stompbox` command run it (see the CLI's shebang).
export const STOMPBOX_NODE_ARGS = ['--max-semi-space-size=4'];

export async function startStompbox({ startTimeoutMs = 30000, extraArgs = [], nodeArgs = [], log = false, cli = STOMPBOX_CLI } = {}) {
  if (!fs.existsSync(cli)) {
    throw new Error(`Stompbox CLI not built: ${cli} (run \`npx tsc -b packages/broker\`)`);
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompbox-bench-data-'));
  const args = [
    ...STOMPBOX_NODE_ARGS, ...nodeArgs, cli,
    // MQTT on a free port too (never 1883, which a system broker may hold); no $SYS timer in measurements.
    '--stomp-port', '0', '--http-port', '0', '--mqtt-port', '0', '--mqtt-sys-interval-ms', '0', '--data-dir', dataDir, '--log-level', 'warn', ...extraArgs,
  ];
  // No shell and no npm wrapper: child.pid is the broker's own node process.
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  let stompPort = null;
  let wsUrl = null;
  let mqttPort = null;
  let exited = null;
  let lineBuf = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Stompbox did not print its listeners in time')), startTimeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      if (output.length < 20000) output += d;
      if (log) process.stdout.write(d);
      lineBuf += d;
      let i;
      while ((i = lineBuf.indexOf('\n')) >= 0) {
        const line = lineBuf.slice(0, i).replace(/\r$/, '');
        lineBuf = lineBuf.slice(i + 1);
        let m;
        if ((m = STOMP_RE.exec(line))) stompPort = Number(m[1]);
        else if ((m = WS_RE.exec(line))) wsUrl = m[1];
        else if ((m = MQTT_RE.exec(line))) mqttPort = Number(m[1]);
        if (stompPort && wsUrl && mqttPort) { clearTimeout(timer); resolve(); }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      if (output.length < 20000) output += d;
      if (log) process.stderr.write(d);
    });
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('exit', (code, sig) => {
      exited = { code, sig };
      clearTimeout(timer);
      reject(new Error(`Stompbox exited early: ${JSON.stringify(exited)}`));
    });
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (exited === null && child.pid) await killTree(child.pid, 5000);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await ready;
  } catch (e) {
    await stop();
    throw new Error(`${e.message}\n--- stompbox output ---\n${output.slice(-3000)}`);
  }
  // keep draining the pipes so a chatty broker never blocks on stdout
  child.stdout.resume();
  child.stderr.resume();
  return { name: 'stompbox', stompPort, wsUrl, mqttPort, pid: child.pid, connectHeaders: {}, dataDir, stop };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await startStompbox({ log: true });
  console.log(JSON.stringify({ stompPort: s.stompPort, wsUrl: s.wsUrl, pid: s.pid }));
  await s.stop();
  console.log('stopped');
}
