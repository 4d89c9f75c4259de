// Starts a private RabbitMQ (Debian's rabbitmq-server, with rabbitmq_stomp and
// rabbitmq_web_stomp) for the differential tests: its own data directory, every listener
// on 127.0.0.1 at a free port, its own epmd on a free loopback port (so nothing is bound
// elsewhere and nothing meets a system RabbitMQ), stopped by process group id.
// Not a test file itself (no `.test.` in the name).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const EPMD = ['/usr/bin/epmd', '/usr/lib/erlang/bin/epmd'].find((p) => existsSync(p));

/** Why the differential tests cannot run here, or undefined when they can. */
export function rabbitMissing() {
  if (!existsSync(RABBITMQ_SERVER) || EPMD === undefined) return 'rabbitmq-server not installed (apt-get install rabbitmq-server)';
  return undefined;
}

export async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function waitForPort(port, ms, what, alive) {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    const why = alive();
    if (why !== undefined) throw new Error(`${what} exited before listening: ${why}`);
    if (Date.now() > end) throw new Error(`${what} not listening on ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts RabbitMQ; resolves with its STOMP and Web-STOMP ports and `stop()`. */
export async function startRabbit() {
  const dir = mkdtempSync(join(tmpdir(), 'stompbox-rabbit-'));
  const [amqp, stomp, webStomp, dist, epmdPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dir, 'rabbitmq.conf'), [
    `listeners.tcp.1 = 127.0.0.1:${amqp}`,
    `stomp.listeners.tcp.1 = 127.0.0.1:${stomp}`,
    `web_stomp.tcp.port = ${webStomp}`,
    'web_stomp.tcp.ip = 127.0.0.1',
    'loopback_users = none',
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_stomp,rabbitmq_web_stomp].\n');
  const env = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: `stompbox-diff-${process.pid}@localhost`,
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
    RABBITMQ_FEATURE_FLAGS_FILE: join(dir, 'feature_flags'),
    RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, 'plugins-expand'),
    RABBITMQ_DIST_PORT: String(dist),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  // Our own epmd in the foreground, so that it is ours to stop (the node would otherwise start a daemon).
  const epmd = spawn(EPMD, ['-port', String(epmdPort), '-address', '127.0.0.1'], { env, stdio: 'ignore' });
  let epmdExit;
  epmd.on('exit', (code) => (epmdExit = `code ${code}`));
  await waitForPort(epmdPort, 5000, 'epmd', () => epmdExit);
  const child = spawn(RABBITMQ_SERVER, [], { env, cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  let exited;
  const gone = new Promise((resolve) => child.on('exit', (code) => { exited = `code ${code}: ${out.slice(-2000)}`; resolve(); }));
  const stop = async () => {
    if (exited === undefined) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      const t = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 10000);
      await gone;
      clearTimeout(t);
    }
    epmd.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(stomp, 60000, 'rabbitmq-server', () => exited);
    await waitForPort(webStomp, 20000, 'rabbitmq-server (web-stomp)', () => exited);
  } catch (err) {
    await stop();
    throw err;
  }
  return { stompPort: stomp, wsUrl: `ws://127.0.0.1:${webStomp}/ws`, stop };
}
