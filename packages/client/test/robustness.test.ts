/**
 * What the client does with a broker that misbehaves, over real TCP sockets to a
 * scripted loopback server: an ERROR before CONNECTED that is not a refused login is
 * retried with backoff (a refused login is not); a frame over `maxFrameSize` is one
 * protocol error, then reconnects with a growing delay, not a loop; and the async
 * iterator's buffer is bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { Client, StompboxClientError } from '../src/index.js';
import { tcp } from '../src/transports/tcp.js';
import { Subscription } from '../src/subscription.js';
import type { Message } from '../src/message.js';

/** A server that answers each connection's CONNECT with `script(n)` (n = 0, 1, ...). */
async function scripted(script: (n: number) => string) {
  const sockets = new Set<Socket>();
  let n = 0;
  const times: number[] = [];
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let seen = '';
    s.on('data', (d) => {
      seen += d.toString('latin1');
      if (seen.startsWith('CONNECT') && seen.includes('\0')) {
        seen = '\u0001'; // answered
        times.push(Date.now());
        const out = script(n++);
        s.write(out);
        // STOMP 1.2 §"ERROR": the server closes the connection just after an ERROR.
        if (out.startsWith('ERROR')) s.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `tcp://127.0.0.1:${port}`,
    times,
    count: () => n,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const CONNECTED = 'CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0';
const error = (message: string, code?: string) => `ERROR\nmessage:${message}\n${code ? `code:${code}\n` : ''}\n\0`;
const options = { transport: tcp(), heartbeat: { outgoing: 0, incoming: 0 }, reconnect: { initialDelay: 40, maxDelay: 1000, jitter: 0 } };

test('an ERROR before CONNECTED that is not a refused login is retried with backoff, and connect() resolves', async () => {
  const srv = await scripted((n) => (n < 2 ? error('server is starting, try later', 'STOMPBOX_ERR_UNAVAILABLE') : CONNECTED));
  const c = new Client({ url: srv.url, ...options });
  const errors: string[] = [];
  c.on('error', (e) => errors.push(e.code));
  try {
    await c.connect();
    assert.equal(srv.count(), 3);
    assert.deepEqual(errors, ['STOMPBOX_CLIENT_ERR_SERVER_ERROR', 'STOMPBOX_CLIENT_ERR_SERVER_ERROR']);
    // Backoff, not a loop: 40 ms, then 80 ms.
    assert.ok(srv.times[2] - srv.times[1] >= 70, `second retry after ${srv.times[2] - srv.times[1]} ms`);
  } finally {
    await c.disconnect();
    await srv.stop();
  }
});

for (const [name, frame] of [
  ['the code STOMPBOX_ERR_AUTH_FAILED', error('nope', 'STOMPBOX_ERR_AUTH_FAILED')],
  ['a message that says so', error("Access refused for user 'guest'")],
] as const) {
  test(`a refused login (${name}) rejects connect() with CONNECT_REFUSED and is not retried`, async () => {
    const srv = await scripted(() => frame);
    const c = new Client({ url: srv.url, ...options });
    try {
      const err = await c.connect().then(() => undefined, (e: StompboxClientError) => e);
      assert.equal(err?.code, 'STOMPBOX_CLIENT_ERR_CONNECT_REFUSED');
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(srv.count(), 1);
      assert.equal(c.status, 'disconnected');
    } finally {
      await srv.stop();
    }
  });
}

test('a frame over maxFrameSize is one PROTOCOL error (cause FRAME_TOO_LARGE), then reconnects with a growing delay', async () => {
  const big = `MESSAGE\nsubscription:sub-0\ndestination:/queue/a\nmessage-id:1\ncontent-length:2000\n\n${'x'.repeat(2000)}\0`;
  const srv = await scripted(() => CONNECTED + big);
  const c = new Client({ url: srv.url, ...options, maxFrameSize: 1000 });
  const errors: StompboxClientError[] = [];
  c.on('error', (e) => errors.push(e));
  try {
    await c.connect();
    await new Promise((r) => setTimeout(r, 700));
    // Delays 40, 80, 160, 320 ms: about 4 or 5 connections in 700 ms; a loop would make dozens.
    assert.ok(srv.count() >= 3 && srv.count() <= 6, `${srv.count()} connections`);
    const gaps = srv.times.slice(1).map((t, i) => t - srv.times[i]);
    assert.ok(gaps[2] > gaps[0] * 1.5, `delays ${gaps.join(', ')} ms`);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'STOMPBOX_CLIENT_ERR_PROTOCOL');
    assert.equal((errors[0].cause as { code?: string }).code, 'STOMPBOX_ERR_FRAME_TOO_LARGE');
  } finally {
    await c.disconnect();
    await srv.stop();
  }
});

test('the async iterator holds at most maxBuffered messages: the oldest is dropped and counted', async () => {
  const sub = new Subscription('s', '/topic/a', { maxBuffered: 2 }, undefined, { unsubscribe: async () => undefined });
  const msg = (n: number) => ({ n }) as unknown as Message;
  for (let i = 1; i <= 5; i++) sub.deliver_(msg(i));
  assert.equal(sub.dropped, 3);
  const it = sub[Symbol.asyncIterator]();
  assert.deepEqual([(await it.next()).value, (await it.next()).value], [msg(4), msg(5)]);
  // A waiting loop gets messages at once: nothing is held, nothing dropped.
  const next = it.next();
  sub.deliver_(msg(6));
  assert.deepEqual((await next).value, msg(6));
  assert.equal(sub.dropped, 3);
});

test('the default bound is 1000', () => {
  const sub = new Subscription('s', '/topic/a', {}, undefined, { unsubscribe: async () => undefined });
  for (let i = 0; i < 1005; i++) sub.deliver_({} as Message);
  assert.equal(sub.dropped, 5);
});
