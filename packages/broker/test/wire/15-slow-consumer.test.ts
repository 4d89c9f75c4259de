/**
 * The bound on per-connection output (`--max-output-bytes`) seen from outside: a
 * subscriber that stops reading must not make the broker buffer without limit.
 * On a topic it is disconnected (policy `disconnect`) or loses messages (policy
 * `drop`) while healthy subscribers get everything; on a queue nothing is lost:
 * what the slow consumer cannot take stays in the queue for others.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, getHeader, type Frame } from '@stompbox/stomp-codec';
import { connect, tcpClient } from '../support/raw-client.js';
import { spawnBroker, type SpawnedBroker } from '../support/spawn-broker.js';
import { body, open, rssKb, rt, sleep, slowSubscriber, subscribe, uniq, type Client } from '../support/messaging.js';

const N = 5000;
// 10 MB in all: well over what the kernel buffers for a socket that is not read (about 4 MB on Linux loopback).
const SIZE = 2048;
const LIMIT = 65536;

/**
 * Publishes N messages of SIZE bytes in one burst (one socket write), or, with
 * `paced`, in bursts of a tenth each, waiting for `paced(k)` (the healthy readers
 * have k messages) in between: a healthy reader in this busy test process must not
 * itself fall megabytes behind, while a reader that stops still gets all 10 MB queued.
 * Resolves once the broker routed them all.
 */
async function blast(port: number, destination: string, n = N, paced?: (k: number) => Promise<unknown>): Promise<void> {
  const p = await tcpClient(port);
  await connect(p);
  const pad = 'x'.repeat(SIZE - 11);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const headers: Record<string, string> = { destination, seq: String(i) };
    if (i === n - 1) headers.receipt = 'all';
    frames.push(encodeFrame('SEND', headers, `${String(i).padStart(10, '0')}:${pad}`));
  }
  if (paced === undefined) p.write(Buffer.concat(frames));
  else {
    const step = Math.ceil(n / 10);
    for (let k = 0; k < n; k += step) {
      p.write(Buffer.concat(frames.slice(k, k + step)));
      await paced(Math.min(n, k + step));
    }
  }
  await p.next('RECEIPT', undefined, 20000);
  p.close();
}

/** Waits until `c` holds `n` MESSAGE frames (collected, not consumed one by one). */
async function collect(c: Client, n: number, timeoutMs = 15000): Promise<Frame[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = c.frames.filter((f) => f.command === 'MESSAGE');
    if (got.length >= n) return got;
    if (c.isClosed() || Date.now() > until) {
      assert.fail(`expected ${n} messages, got ${got.length}${c.isClosed() ? ' (connection closed)' : ''}: ${c.frames.filter((f) => f.command === 'ERROR').map((f) => getHeader(f.headers, 'message')).join()}`);
    }
    await sleep(20);
  }
}

/** Polls until `count()` reaches `n` (or the time is up), then waits a little for any excess; returns the count. */
async function settle(count: () => number, n: number, timeoutMs = 15000): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (count() < n && Date.now() < until) await sleep(20);
  await sleep(100);
  return count();
}

const seqOf = (f: Frame) => Number(getHeader(f.headers, 'seq'));
const messages = (fs: Frame[]) => fs.filter((f) => f.command === 'MESSAGE');

function assertInOrder(fs: Frame[], from = 0): void {
  fs.forEach((f, i) => assert.equal(seqOf(f), from + i, `message ${i} out of order`));
  for (const f of fs) assert.equal(f.body.length, SIZE, 'body intact');
}

let broker: SpawnedBroker;
const clients: Client[] = [];
async function client(ws = false): Promise<Client> {
  const c = await open(ws ? broker.wsUrl : broker.stompPort);
  clients.push(c);
  return c;
}

/** Starts `broker` with these arguments before the suite's tests; closes its clients and stops it after. */
function brokerForSuite(args: string[]): void {
  before(async () => {
    broker = await spawnBroker(args);
  });
  after(async () => {
    for (const c of clients.splice(0)) c.close();
    await broker.stop();
  });
}

/**
 * On queue `q`: a consumer that stops reading, N messages published, then another
 * consumer; the slow one reads again, and both are given time to get the N between them.
 * Returns the slow one, what it read (`r`), the other one, and how many they got in all.
 */
async function slowThenOther(q: string) {
  const slow = await slowSubscriber(broker.stompPort, q);
  await blast(broker.stompPort, q);
  const other = await client();
  await subscribe(other, 'o', q);
  await sleep(300);
  const r = await slow.resume();
  const total = await settle(() => messages(r.frames).length + messages(other.frames).length, N);
  return { slow, r, other, total };
}

describe('policy disconnect (the default)', () => {
  brokerForSuite(['--max-output-bytes', String(LIMIT)]);

  it('a topic subscriber that stops reading is disconnected; RSS stays bounded; healthy subscribers get every message', async () => {
    const t = `/topic/${uniq('slow')}`;
    const healthy = await client();
    await subscribe(healthy, 'h', t);
    const healthyWs = await client(true);
    await subscribe(healthyWs, 'h', t);
    const slow = await slowSubscriber(broker.stompPort, t);
    const rss0 = rssKb(broker.pid);
    await blast(broker.stompPort, t, N, (k) => Promise.all([collect(healthy, k), collect(healthyWs, k)]));
    const got = await collect(healthy, N);
    assertInOrder(await collect(healthyWs, N));
    const rss1 = rssKb(broker.pid);
    assertInOrder(got);
    const r = await slow.resume();
    assert.ok(r.closed, 'the slow subscriber was disconnected');
    const slowGot = messages(r.frames);
    assert.ok(slowGot.length < N, `the slow subscriber got ${slowGot.length} of ${N}`);
    assertInOrder(slowGot);
    const err = r.frames.find((f) => f.command === 'ERROR');
    if (err !== undefined) assert.match(getHeader(err.headers, 'message') ?? '', /slow consumer/);
    assert.ok(rss1 - rss0 < 50 * 1024, `RSS grew by ${Math.round((rss1 - rss0) / 1024)} MB`);
    assert.ok(!healthy.isClosed());
    await rt(healthy, 'UNSUBSCRIBE', { id: 'h' });
  });

  it('on a queue a consumer that stops reading is not disconnected and loses nothing; another consumer gets the rest', async () => {
    const q = `/queue/${uniq('slowq')}`;
    const { slow, r, other } = await slowThenOther(q);
    assert.ok(!r.closed, 'the slow queue consumer stays connected');
    const slowGot = messages(r.frames);
    const otherGot = messages(other.frames);
    assert.ok(otherGot.length > 0, 'the other consumer got the messages the slow one could not take');
    assert.equal(slowGot.length + otherGot.length, N, `slow ${slowGot.length} + other ${otherGot.length}`);
    const all = new Set([...slowGot, ...otherGot].map(seqOf));
    assert.equal(all.size, N, 'no message twice, none lost');
    assertInOrder(slowGot);
    slow.socket.destroy();
  });

  it('on a queue with client acks, what a slow consumer had not acked goes to another consumer when it leaves', async () => {
    const q = `/queue/${uniq('slowack')}`;
    const slow = await slowSubscriber(broker.stompPort, q, { ack: 'client-individual' });
    await blast(broker.stompPort, q, 500);
    slow.socket.destroy();
    await sleep(100); // the broker sees the close and requeues before the other consumer comes
    const other = await client();
    await subscribe(other, 'o', q);
    const got = await collect(other, 500);
    assertInOrder(got);
  });
});

describe('policy drop', () => {
  brokerForSuite(['--max-output-bytes', String(LIMIT), '--slow-consumer-policy', 'drop']);

  it('a topic subscriber that stops reading stays connected and misses messages; a healthy one gets all', async () => {
    const t = `/topic/${uniq('drop')}`;
    const healthy = await client();
    await subscribe(healthy, 'h', t);
    const slow = await slowSubscriber(broker.stompPort, t);
    const rss0 = rssKb(broker.pid);
    await blast(broker.stompPort, t, N, (k) => collect(healthy, k));
    assertInOrder(await collect(healthy, N));
    const rss1 = rssKb(broker.pid);
    const r = await slow.resume();
    assert.ok(!r.closed, 'still connected');
    const slowGot = messages(r.frames);
    assert.ok(slowGot.length > 0 && slowGot.length < N, `the slow subscriber got ${slowGot.length} of ${N}`);
    // What it got is whole and in order, with gaps where messages were dropped.
    for (let i = 1; i < slowGot.length; i++) assert.ok(seqOf(slowGot[i]) > seqOf(slowGot[i - 1]));
    for (const f of slowGot) assert.equal(f.body.length, SIZE);
    assert.ok(rss1 - rss0 < 50 * 1024, `RSS grew by ${Math.round((rss1 - rss0) / 1024)} MB`);
    // It can go on: new messages reach it once it reads again.
    slow.socket.write(encodeFrame('SEND', { destination: t, seq: 'after' }, 'after'));
    const after = () => r.frames.filter((f) => f.command === 'MESSAGE' && body(f) === 'after').length;
    assert.equal(await settle(after, 1, 5000), 1, 'a message after the burst arrives');
    slow.socket.destroy();
  });

  it('on a queue nothing is dropped: what the slow consumer cannot take goes to another', async () => {
    const q = `/queue/${uniq('dropq')}`;
    const { slow, r, other, total } = await slowThenOther(q);
    assert.equal(total, N, `slow ${messages(r.frames).length} + other ${messages(other.frames).length}`);
    slow.socket.destroy();
  });
});

describe('a bound below the 64 KB high-water mark (and below the socket\'s own 16 KB)', () => {
  brokerForSuite(['--max-output-bytes', '4096', '--slow-consumer-policy', 'drop']);

  it('on a queue nothing is dropped, and the slow consumer stays connected', async () => {
    const q = `/queue/${uniq('small')}`;
    const { slow, r, other, total } = await slowThenOther(q);
    assert.ok(!r.closed);
    assert.equal(total, N, `slow ${messages(r.frames).length} + other ${messages(other.frames).length}`);
    slow.socket.destroy();
  });

  it('a sole queue consumer that pauses gets every message once it reads again', async () => {
    const q = `/queue/${uniq('pause')}`;
    const slow = await slowSubscriber(broker.stompPort, q);
    // More than the kernel's socket buffers hold (up to ~4 MB on Linux loopback), so the broker's output backs up.
    await blast(broker.stompPort, q, N);
    const r = await slow.resume();
    await settle(() => messages(r.frames).length, N);
    assert.ok(!r.closed);
    const got = messages(r.frames);
    assert.equal(got.length, N);
    assertInOrder(got);
    slow.socket.destroy();
  });
});
