// Start a private, loopback-only RabbitMQ node (Debian's rabbitmq-server) for
// one benchmark run. Everything lives in a temp dir that stop() removes.
//
//   import { startRabbit } from './peers/rabbitmq.mjs';
//   const r = await startRabbit();   // {stompPort, wsUrl, pid, stop()}
//
// Works as root: the Debian wrapper /usr/sbin/rabbitmq-server would `su` to the
// rabbitmq user, so we exec the real script in /usr/lib/rabbitmq/bin directly.
// We also run our own epmd (loopback, private port) as a child so that no
// system-wide epmd on 0.0.0.0:4369 is started or reused.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { probeStomp } from '../loadgen/conn.mjs';

const RABBIT_SERVER = process.env.RABBITMQ_SERVER_BIN || '/usr/lib/rabbitmq/bin/rabbitmq-server';
const EPMD = process.env.EPMD_BIN || 'epmd';

/** A free TCP port on 127.0.0.1 (bind to 0, read, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function distinctPorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** All descendants of pid (via /proc/<pid>/task/<pid>/children), deepest last. */
function descendants(pid) {
  const out = [];
  const walk = (p) => {
    let kids = [];
    try {
      kids = fs.readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch { /* gone */ }
    for (const k of kids) { out.push(k); walk(k); }
  };
  walk(pid);
  return out;
}

/** SIGTERM the tree rooted at pid, wait, then SIGKILL what is left. */
export async function killTree(pid, graceMs = 5000) {
  const tree = [pid, ...descendants(pid)];
  for (const p of tree) { try { process.kill(p, 'SIGTERM'); } catch { /* gone */ } }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && tree.some(alive)) await sleep(50);
  for (const p of [pid, ...descendants(pid), ...tree]) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
}

export async function startRabbit({ startTimeoutMs = 90000, log = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompbox-bench-rabbit-'));
  const [amqpPort, stompPort, wsPort, distPort, epmdPort] = await distinctPorts(5);
  const nodeName = `bench${process.pid}x${Math.random().toString(36).slice(2, 8)}@localhost`;
  for (const d of ['mnesia', 'log', 'home']) fs.mkdirSync(path.join(dir, d));

  const conf = [
    `listeners.tcp.1 = 127.0.0.1:${amqpPort}`,
    'loopback_users = none',
    'default_user = guest',
    'default_pass = guest',
    'disk_free_limit.absolute = 50MB',
    'log.console = false',
    'log.file.level = warning',
    `stomp.listeners.tcp.1 = 127.0.0.1:${stompPort}`,
    'stomp.tcp_listen_options.nodelay = true',
    'stomp.tcp_listen_options.backlog = 4096',
    'web_stomp.tcp.ip = 127.0.0.1',
    `web_stomp.tcp.port = ${wsPort}`,
    'web_stomp.tcp.backlog = 4096',
    'web_stomp.max_connections = infinity',
    // Cowboy closes a WebSocket after 60 s without client->server data; the
    // benchmark clients send no heart-beats, so lift it (real clients would
    // heart-beat and never hit it).
    'web_stomp.ws_opts.idle_timeout = 3600000',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'rabbitmq.conf'), conf);
  fs.writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '# intentionally empty\n');
  fs.writeFileSync(path.join(dir, 'enabled_plugins'), '[rabbitmq_stomp,rabbitmq_web_stomp].\n');
  // A fixed cookie so the node never tries to write one into root's $HOME.
  const cookie = path.join(dir, 'home', '.erlang.cookie');
  fs.writeFileSync(cookie, `BENCH${Math.random().toString(36).slice(2)}`.toUpperCase(), { mode: 0o400 });

  const env = {
    ...process.env,
    HOME: path.join(dir, 'home'),
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'), // empty: ignore /etc/rabbitmq/rabbitmq-env.conf
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: `-kernel inet_dist_use_interface {127,0,0,1} -kernel inet_dist_listen_min ${distPort} -kernel inet_dist_listen_max ${distPort}`,
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_EPMD_PORT: String(epmdPort),
  };

  // Our own epmd, in the foreground as our child: loopback only, private port.
  const epmd = spawn(EPMD, ['-address', '127.0.0.1', '-port', String(epmdPort)], {
    env, stdio: 'ignore', detached: true,
  });
  let epmdErr = null;
  epmd.once('error', (e) => { epmdErr = e; });
  for (let i = 0; i < 100 && !(await portOpen(epmdPort)); i++) {
    if (epmdErr) throw new Error(`cannot start epmd: ${epmdErr.message}`);
    await sleep(50);
  }

  const out = fs.openSync(path.join(dir, 'log', 'stdout.log'), 'a');
  const child = spawn(RABBIT_SERVER, [], {
    env, cwd: dir, detached: true, stdio: ['ignore', log ? 'inherit' : out, log ? 'inherit' : out],
  });
  fs.closeSync(out);
  let exited = null;
  child.once('exit', (code, sig) => { exited = { code, sig }; });
  child.once('error', (e) => { exited = { error: e }; });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.pid && exited === null) await killTree(child.pid, 10000);
    if (epmd.pid) await killTree(epmd.pid, 1000);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const connectHeaders = { login: 'guest', passcode: 'guest', host: '/' };
  const deadline = Date.now() + startTimeoutMs;
  try {
    for (;;) {
      if (exited) throw new Error(`rabbitmq-server exited early: ${JSON.stringify(exited)}`);
      if (Date.now() > deadline) throw new Error('rabbitmq did not answer STOMP CONNECT in time');
      if ((await portOpen(stompPort)) && (await probeStomp(stompPort, connectHeaders))) break;
      await sleep(250);
    }
    // web-stomp starts after stomp; wait for its port too.
    while (!(await portOpen(wsPort))) {
      if (Date.now() > deadline) throw new Error('rabbitmq web-stomp port did not open in time');
      await sleep(100);
    }
  } catch (e) {
    let tail = '';
    try { tail = fs.readFileSync(path.join(dir, 'log', 'stdout.log'), 'utf8').slice(-3000); } catch { /* none */ }
    await stop();
    throw new Error(`${e.message}\n--- rabbitmq output ---\n${tail}`);
  }

  // The start script runs beam.smp as its child (it does not exec), so find the
  // VM: RSS and CPU must be read from beam.smp, not from /bin/sh.
  const beam = descendants(child.pid).find((p) => {
    try { return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim().startsWith('beam'); } catch { return false; }
  });
  if (!beam) { await stop(); throw new Error('could not find the beam.smp process'); }
  return {
    name: 'rabbitmq',
    stompPort,
    wsUrl: `ws://127.0.0.1:${wsPort}/ws`,
    pid: beam,
    scriptPid: child.pid,
    distPort,
    epmdPid: epmd.pid,
    connectHeaders,
    dir,
    stop,
  };
}

// Stand-alone: `node bench/peers/rabbitmq.mjs` starts a node, prints its ports and
// listening sockets, then stops it (a smoke test for the CI script).
if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await startRabbit();
  console.log(JSON.stringify({ stompPort: r.stompPort, wsUrl: r.wsUrl, pid: r.pid, distPort: r.distPort, epmdPid: r.epmdPid }));
  try { console.log(execFileSync('ss', ['-ltnp'], { encoding: 'utf8' })); } catch { /* no ss */ }
  await r.stop();
  console.log('stopped');
}
