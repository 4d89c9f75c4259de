// Starts a private Mosquitto (Debian's mosquitto 2.0, /usr/sbin/mosquitto) for the MQTT
// differential tests: its own config in a temp directory, one listener on 127.0.0.1 at a
// free port, anonymous clients allowed, no persistence; stopped by process id.
// Not a test file itself (no `.test.` in the name).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO = '/usr/sbin/mosquitto';

/** Why the differential tests cannot run here, or undefined when they can. */
export function mosquittoMissing() {
  if (!existsSync(MOSQUITTO)) return 'mosquitto not installed (apt-get install mosquitto)';
  return undefined;
}

export async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function waitForPort(port, ms, alive) {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    const why = alive();
    if (why !== undefined) throw new Error(`mosquitto exited before listening: ${why}`);
    if (Date.now() > end) throw new Error(`mosquitto not listening on ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts Mosquitto; resolves with its MQTT port and `stop()`. */
export async function startMosquitto() {
  const dir = mkdtempSync(join(tmpdir(), 'stompbox-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    '',
  ].join('\n'));
  const child = spawn(MOSQUITTO, ['-c', conf], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  let exited;
  const gone = new Promise((resolve) => child.on('exit', (code, signal) => { exited = `code ${code ?? signal}: ${out.slice(-2000)}`; resolve(); }));
  const stop = async () => {
    if (exited === undefined) {
      try { process.kill(child.pid, 'SIGTERM'); } catch { /* already gone */ }
      const t = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await gone;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 10000, () => exited);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, pid: child.pid, output: () => out, stop };
}
