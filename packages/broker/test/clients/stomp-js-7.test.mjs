// @stomp/stompjs 7 (`Client`) over the `ws` package against the started `stompbox` CLI,
// speaking STOMP 1.2: publish/subscribe, ack/nack in client-individual mode, receipts
// (`watchForReceipt`), transactions, binary bodies, 100 ms heart-beats, and reconnecting
// by itself after the broker was restarted on the same ports.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@stomp/stompjs';
import WebSocket from 'ws';
import { spawnBroker } from '../../dist/test/support/spawn-broker.js';
import { inbox, sleep, unique, waitFor, within } from './helpers.mjs';

let broker;
const clients = new Set();
const brokers = new Set();

async function startBroker(args = []) {
  const b = await spawnBroker(args);
  brokers.add(b);
  return b;
}

before(async () => {
  broker = await startBroker();
});

after(async () => {
  await Promise.all([...clients].map((c) => c.deactivate({ force: true }).catch(() => undefined)));
  await Promise.all([...brokers].map((b) => b.stop()));
});

/**
 * A Client on `b` (reconnect off unless asked). `connected` resolves with the first
 * CONNECTED frame; `log` keeps the debug output; `errors` the ERROR frames.
 */
function stompClient(b, config = {}) {
  const log = [];
  const errors = [];
  let resolveConnected;
  const connected = new Promise((r) => (resolveConnected = r));
  const { onConnect, ...rest } = config;
  const client = new Client({
    webSocketFactory: () => new WebSocket(b.wsUrl, ['v12.stomp', 'v11.stomp', 'v10.stomp']),
    reconnectDelay: 0,
    debug: (s) => log.push(s),
    onConnect: (frame) => {
      resolveConnected(frame);
      onConnect?.(frame);
    },
    onStompError: (frame) => errors.push(frame),
    ...rest,
  });
  clients.add(client);
  client.activate();
  return { client, log, errors, connected: within(connected, 5000, 'CONNECTED') };
}

async function connectedClient(b = broker, config) {
  const c = stompClient(b, config);
  await c.connected;
  return c.client;
}

/** Publishes with a receipt and waits for it (`watchForReceipt`). */
function publishWithReceipt(client, params) {
  const id = unique('receipt');
  const got = new Promise((resolve) => client.watchForReceipt(id, resolve));
  client.publish({ ...params, headers: { ...params.headers, receipt: id } });
  return within(got, 3000, `RECEIPT ${id}`);
}

test('STOMP 1.2 over the v12.stomp sub-protocol: CONNECTED, publish and subscribe', async () => {
  const { client, connected } = stompClient(broker);
  const frame = await connected;
  assert.equal(frame.headers.version, '1.2');
  assert.match(frame.headers.server, /^Stompbox\//);
  assert.equal(client.connected, true);
  assert.equal(client.webSocket.protocol, 'v12.stomp');
  const dest = `/topic/${unique('chat')}`;
  const box = inbox();
  client.subscribe(dest, box.cb, { id: 'my-sub' });
  client.publish({ destination: dest, body: 'Hello, STOMP 1.2', headers: { 'content-type': 'text/plain', 'x-escaped': 'a:b\\x\ny' } });
  const m = await box.next();
  assert.equal(m.body, 'Hello, STOMP 1.2');
  assert.equal(m.headers.destination, dest);
  assert.equal(m.headers.subscription, 'my-sub');
  assert.equal(m.headers['content-type'], 'text/plain');
  // STOMP 1.2 §"Value Encoding": ':', backslash and LF are escaped on the wire both ways. (No
  // backslash before 'c', 'n' or 'r' here: stompjs 7 unescapes with sequential replaces and reads
  // the wire form \\c (an escaped backslash, then c) as \: - a client bug.)
  assert.equal(m.headers['x-escaped'], 'a:b\\x\ny');
  assert.equal(m.ack !== undefined, true);
  // A second client on the same topic: fan-out.
  const other = await connectedClient();
  const box2 = inbox();
  other.subscribe(dest, box2.cb);
  await publishWithReceipt(other, { destination: dest, body: 'to both' });
  assert.equal((await box.next()).body, 'to both');
  assert.equal((await box2.next()).body, 'to both');
  await client.deactivate();
  await other.deactivate();
});

test('watchForReceipt: RECEIPT for SEND, SUBSCRIBE and UNSUBSCRIBE', async () => {
  const client = await connectedClient();
  const dest = `/queue/${unique('receipts')}`;
  const subReceipt = new Promise((r) => client.watchForReceipt('sub-receipt', r));
  const box = inbox();
  const sub = client.subscribe(dest, box.cb, { receipt: 'sub-receipt' });
  assert.equal((await within(subReceipt, 3000, 'SUBSCRIBE receipt')).headers['receipt-id'], 'sub-receipt');
  const r = await publishWithReceipt(client, { destination: dest, body: 'with a receipt' });
  assert.equal(r.command, 'RECEIPT');
  assert.equal((await box.next()).body, 'with a receipt');
  const unsubReceipt = new Promise((res) => client.watchForReceipt('unsub-receipt', res));
  sub.unsubscribe({ receipt: 'unsub-receipt' });
  await within(unsubReceipt, 3000, 'UNSUBSCRIBE receipt');
  await publishWithReceipt(client, { destination: dest, body: 'nobody listens' });
  await box.none(200);
  await client.deactivate();
});

test('client-individual: ack and nack each message on its own; unacked ones return to the queue', async () => {
  const q = `/queue/${unique('work')}`;
  const client = await connectedClient();
  const box = inbox();
  client.subscribe(q, box.cb, { ack: 'client-individual' });
  for (const body of ['m1', 'm2', 'm3', 'm4']) client.publish({ destination: q, body });
  const [m1, m2, m3, m4] = await box.take(4);
  assert.deepEqual([m1, m2, m3, m4].map((m) => m.body), ['m1', 'm2', 'm3', 'm4']);
  for (const m of [m1, m2, m3, m4]) assert.ok(m.headers.ack, 'STOMP 1.2 MESSAGE carries an ack header');
  assert.equal(new Set([m1, m2, m3, m4].map((m) => m.headers.ack)).size, 4);
  m3.ack(); // does not ack m1 or m2 (client-individual)
  m1.nack(); // requeued, delivered again
  const again = await box.next();
  assert.equal(again.body, 'm1');
  assert.equal(again.headers['message-id'], m1.headers['message-id']);
  assert.equal(again.headers.redelivered, 'true');
  again.ack();
  // m4 is acked inside a transaction that is aborted: it stays unacked.
  const tx = client.begin();
  m4.ack({ transaction: tx.id });
  tx.abort();
  await publishWithReceipt(client, { destination: `/topic/${unique('sync')}`, body: '' });
  await box.none(200);
  await client.deactivate();
  // m2 (never acked) and m4 (ack aborted) go to the next consumer; m1 and m3 are gone.
  const next = await connectedClient();
  const rest = inbox();
  next.subscribe(q, rest.cb, { ack: 'client-individual' });
  const left = await rest.take(2);
  assert.deepEqual(left.map((m) => m.body), ['m2', 'm4']);
  for (const m of left) {
    assert.equal(m.headers.redelivered, 'true');
    m.ack();
  }
  await publishWithReceipt(next, { destination: `/topic/${unique('sync')}`, body: '' });
  await rest.none(200);
  await next.deactivate();
  const last = await connectedClient();
  const none = inbox();
  last.subscribe(q, none.cb);
  await none.none(300);
  await last.deactivate();
});

test('transactions: begin / commit delivers held messages in order; abort drops them', async () => {
  const client = await connectedClient();
  const q = `/queue/${unique('tx')}`;
  const box = inbox();
  client.subscribe(q, box.cb);
  const tx = client.begin();
  client.publish({ destination: q, body: 'tx 1', headers: { transaction: tx.id } });
  client.publish({ destination: q, body: 'tx 2', headers: { transaction: tx.id } });
  client.publish({ destination: q, body: 'outside' });
  assert.equal((await box.next()).body, 'outside');
  await box.none(200);
  tx.commit();
  assert.deepEqual((await box.take(2)).map((m) => m.body), ['tx 1', 'tx 2']);

  const tx2 = client.begin('my-tx');
  assert.equal(tx2.id, 'my-tx');
  client.publish({ destination: q, body: 'aborted', headers: { transaction: tx2.id } });
  tx2.abort();
  await publishWithReceipt(client, { destination: q, body: 'after abort' });
  assert.equal((await box.next()).body, 'after abort');
  await box.none(200);

  // A transaction's ACK of a received message also waits for the commit.
  const aq = `/queue/${unique('tx-ack')}`;
  const acks = inbox();
  client.subscribe(aq, acks.cb, { ack: 'client-individual' });
  client.publish({ destination: aq, body: 'ack me in a transaction' });
  const m = await acks.next();
  const tx3 = client.begin();
  m.ack({ transaction: tx3.id });
  tx3.commit();
  await publishWithReceipt(client, { destination: q, body: 'after commit' });
  assert.equal((await box.next()).body, 'after commit');
  await client.deactivate();
  // The committed ACK took effect: nothing goes back to the queue when the session ends.
  const next = await connectedClient();
  const rest = inbox();
  next.subscribe(aq, rest.cb);
  await rest.none(300);
  await next.deactivate();
});

test('binary bodies (binaryBody): bytes that are not UTF-8, NULs included, arrive unchanged', async () => {
  const client = await connectedClient();
  const q = `/queue/${unique('bin')}`;
  const box = inbox();
  client.subscribe(q, box.cb);
  const small = Uint8Array.from([0, 1, 2, 0xff, 0xfe, 0, 10, 13, 0x80, 0]);
  const large = new Uint8Array(200_000);
  for (let i = 0; i < large.length; i++) large[i] = (i * 7919) & 0xff;
  const empty = new Uint8Array(0);
  client.publish({ destination: q, binaryBody: small, headers: { 'content-type': 'application/octet-stream' } });
  client.publish({ destination: q, binaryBody: large });
  client.publish({ destination: q, binaryBody: empty });
  const text = new TextEncoder().encode('ünïcödé text as bytes');
  client.publish({ destination: q, binaryBody: text });
  const [a, b, c, d] = await box.take(4);
  assert.equal(a.isBinaryBody, true);
  assert.deepEqual(a.binaryBody, small);
  assert.equal(a.headers['content-type'], 'application/octet-stream');
  assert.equal(a.headers['content-length'], String(small.length));
  assert.equal(b.binaryBody.length, large.length);
  assert.ok(Buffer.from(b.binaryBody).equals(Buffer.from(large)), 'large binary body unchanged');
  assert.equal(c.binaryBody.length, 0);
  assert.equal(d.body, 'ünïcödé text as bytes');
  await client.deactivate();
});

test('heart-beats of 100 ms both ways keep the connection up for a second', async () => {
  const hb = await startBroker(['--heartbeat-send-ms', '100', '--heartbeat-receive-ms', '100']);
  let closes = 0;
  const { client, log, connected } = stompClient(hb, {
    heartbeatIncoming: 100,
    heartbeatOutgoing: 100,
    onWebSocketClose: () => closes++,
  });
  const frame = await connected;
  assert.equal(frame.headers['heart-beat'], '100,100');
  assert.ok(log.includes('send PING every 100ms'), log.join(' | '));
  assert.ok(log.includes('check PONG every 100ms'), log.join(' | '));
  const dest = `/queue/${unique('hb')}`;
  const box = inbox();
  client.subscribe(dest, box.cb);
  for (let i = 0; i < 10; i++) {
    await sleep(100);
    client.publish({ destination: dest, body: `beat ${i}` });
  }
  assert.deepEqual((await box.take(10)).map((m) => m.body), Array.from({ length: 10 }, (_, i) => `beat ${i}`));
  assert.equal(closes, 0);
  assert.equal(client.connected, true);
  const pongs = log.filter((l) => l === '<<< PONG').length;
  const pings = log.filter((l) => l === '>>> PING').length;
  assert.ok(pongs >= 3, `${pongs} heart-beats from the server`);
  assert.ok(pings >= 5, `${pings} heart-beats to the server`);
  await client.deactivate();
});

test('reconnects by itself after the broker is restarted on the same ports', async () => {
  const first = await startBroker();
  const ports = ['--stomp-port', String(first.stompPort), '--http-port', String(first.httpPort)];
  const connects = inbox('CONNECTED');
  const received = inbox();
  let dest;
  const { client, errors } = stompClient(first, {
    reconnectDelay: 200,
    onConnect: (frame) => {
      // As applications do: (re)subscribe on every connect.
      client.subscribe(dest, received.cb, { id: 'durable-looking' });
      connects.cb(frame);
    },
  });
  dest = `/topic/${unique('restart')}`;
  const c1 = await connects.next(5000);
  await publishWithReceipt(client, { destination: dest, body: 'before restart' });
  assert.equal((await received.next()).body, 'before restart');

  await first.stop();
  await waitFor(() => !client.connected, 3000, 'the client to notice the broker is gone');
  assert.ok(errors.some((e) => /shutting down/.test(e.headers.message)), 'ERROR frame on shutdown');
  await sleep(500); // a few reconnect attempts fail meanwhile
  const second = await startBroker(ports);
  assert.equal(second.httpPort, first.httpPort);
  const c2 = await connects.next(5000);
  assert.notEqual(c2.headers.session, c1.headers.session);
  await publishWithReceipt(client, { destination: dest, body: 'after restart' });
  assert.equal((await received.next()).body, 'after restart');
  await client.deactivate();
});
