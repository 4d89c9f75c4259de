// Builds the `env` the shared scenarios (scenarios.mjs) run with, for the Node-side
// transports: `ws` and TCP through a dropping proxy, and the fake `wx`/`uni` inside a
// bare mini-program runtime. Not a test file.
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, nodeWebSocket, tcp } from '../../dist/src/node.js';
import { fakeMiniProgram } from './fake-mini.mjs';
import { miniRuntime } from './mini-runtime.mjs';

/** A self-signed certificate for 127.0.0.1 (test only), for TLS through the proxy. */
export const TLS = {
  key: readFileSync(new URL('../fixtures/tls-key.pem', import.meta.url)),
  cert: readFileSync(new URL('../fixtures/tls-cert.pem', import.meta.url)),
};

export const LOGIN = 'guest';
export const PASSCODE = 'guest';
/** Every broker of the client tests: a login, and heart-beats short enough to be seen. */
export const BROKER_ARGS = ['--users', `${LOGIN}:${PASSCODE}`, '--heartbeat-send-ms', '100', '--heartbeat-receive-ms', '100'];

let counter = 0;
export const unique = (prefix) => `${prefix}-${process.pid}-${++counter}`;

/** Collects items; `next()` waits for the next unread one, `none(ms)` checks nothing more came. */
export function inbox() {
  const items = [];
  let read = 0;
  let wake;
  const box = {
    items,
    push: (m) => {
      items.push(m);
      wake?.();
    },
    async next(ms = 5000) {
      const end = Date.now() + ms;
      while (read >= items.length) {
        if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for item #${read + 1}`);
        await Promise.race([new Promise((r) => (wake = r)), sleep(20)]);
      }
      return items[read++];
    },
    async take(n, ms = 5000) {
      const out = [];
      for (let i = 0; i < n; i++) out.push(await box.next(ms));
      return out;
    },
    async none(ms = 200) {
      await sleep(ms);
      if (items.length > read) throw new Error(`expected nothing more, got ${items.length - read} more`);
    },
  };
  return box;
}

/** A port where nothing listens (bound, then closed). */
export async function deadPort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * env for transport `kind` against `broker` (ws/tcp: through `proxy`). `options`
 * for the fake mini-program API (stripNul, split, merge).
 */
export async function makeEnv(kind, broker, proxy, fakeOptions = {}) {
  const clients = new Set();
  const dead = await deadPort();
  let make;
  let url;
  let deadUrl;
  let mini;
  if (kind === 'ws' || kind === 'tcp' || kind === 'tls') {
    const scheme = { ws: 'ws', tcp: 'tcp', tls: 'tls' }[kind];
    const path = kind === 'ws' ? '/ws' : '';
    url = `${scheme}://127.0.0.1:${proxy.port}${path}`;
    deadUrl = `${scheme}://127.0.0.1:${dead}${path}`;
    const transport = kind === 'ws' ? nodeWebSocket() : tcp(kind === 'tls' ? { ca: TLS.cert } : {});
    make = (o) => new Client({ transport, ...o });
  } else {
    url = `ws://127.0.0.1:${broker.httpPort}/ws`;
    deadUrl = `ws://127.0.0.1:${dead}/ws`;
    mini = Object.assign(fakeMiniProgram(kind), fakeOptions);
    const { Stompbox } = miniRuntime({ [kind]: mini });
    // No transport given: the SDK finds `wx` or `uni` by itself.
    make = (o) => new Stompbox.Client(o);
  }
  const env = {
    kind,
    url,
    deadUrl,
    mini,
    client(o = {}) {
      const c = make({ url, login: LOGIN, passcode: PASSCODE, ...o });
      clients.add(c);
      return c;
    },
    drop: () => (mini ? mini.drop() : proxy.drop()),
    unique,
    sleep,
    inbox,
    eq: (a, b, m) => assert.equal(a, b, m),
    deep: (a, b, m) => assert.deepEqual(a, b, m),
    ok: (v, m) => assert.ok(v, m),
    async cleanup() {
      for (const c of clients) if (c.status !== 'disconnected' && c.status !== 'idle') await c.disconnect().catch(() => undefined);
      clients.clear();
    },
  };
  return env;
}
