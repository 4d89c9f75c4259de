/**
 * Queues over the wire: retention until a consumer comes, competing consumers,
 * the MESSAGE frame's headers (broker-owned and user ones, escaping per version,
 * repeated headers) and bodies that are binary or not ASCII.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, getHeader, type Frame } from '@stompbox/stomp-codec';
import { spawnBroker, type SpawnedBroker } from '../support/spawn-broker.js';
import { bodies, body, hdr, open, publish, quiet, rt, send, sleep, subscribe, take, uniq, fileBroker } from '../support/messaging.js';

const { client } = fileBroker();

const names = (f: Frame) => f.headers.filter((_, i) => i % 2 === 0);

describe('queues keep messages and share them between consumers', () => {
  it('keeps messages until a consumer comes, then delivers them in order', async () => {
    const q = `/queue/${uniq('keep')}`;
    const p = await client();
    await publish(p, q, ['m0', 'm1', 'm2', 'm3', 'm4']);
    const c = await client();
    await subscribe(c, 's', q);
    assert.deepEqual(bodies(await take(c, 5)), ['m0', 'm1', 'm2', 'm3', 'm4']);
    await quiet(c);
  });

  it('a message is consumed once: a later consumer does not get it again', async () => {
    const q = `/queue/${uniq('once')}`;
    const p = await client();
    const a = await client();
    await subscribe(a, 'a', q);
    await publish(p, q, ['only']);
    assert.equal(body((await take(a, 1))[0]), 'only');
    const b = await client();
    await subscribe(b, 'b', q);
    await quiet(b);
  });

  it('competing consumers get messages round robin: 10 messages, 5 each, none twice, none lost', async () => {
    const q = `/queue/${uniq('rr')}`;
    const a = await client();
    const b = await client();
    await subscribe(a, 'a', q);
    await subscribe(b, 'b', q);
    const p = await client();
    const sent = Array.from({ length: 10 }, (_, i) => `n${i}`);
    await publish(p, q, sent);
    const ga = bodies(await take(a, 5));
    const gb = bodies(await take(b, 5));
    await quiet(a, 100);
    await quiet(b, 0);
    assert.deepEqual([...ga, ...gb].sort(), [...sent].sort());
    assert.equal(new Set([...ga, ...gb]).size, 10);
    // Each consumer sees its share in publish order.
    assert.deepEqual(ga, [...ga].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))));
    assert.deepEqual(gb, [...gb].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))));
  });

  it('consumers of every STOMP version and transport share one queue', async () => {
    const q = `/queue/${uniq('mixed')}`;
    const c10 = await client({ version: '1.0' });
    const c11 = await client({ version: '1.1' });
    const ws = await client({ ws: true });
    c10.send('SUBSCRIBE', { destination: q, receipt: 'r10' });
    await c10.next('RECEIPT');
    await subscribe(c11, 's11', q);
    await subscribe(ws, 'sws', q);
    const p = await client();
    await publish(p, q, ['x0', 'x1', 'x2']);
    const got = [...(await take(c10, 1)), ...(await take(c11, 1)), ...(await take(ws, 1))];
    assert.deepEqual(bodies(got).sort(), ['x0', 'x1', 'x2']);
    // STOMP 1.0 without an id: no subscription header, as RabbitMQ (UNSUBSCRIBE names the destination).
    assert.equal(getHeader(got[0].headers, 'subscription'), undefined);
    assert.equal(getHeader(got[1].headers, 'subscription'), 's11');
    for (const f of got) assert.equal(getHeader(f.headers, 'destination'), q);
  });
});

describe('MESSAGE headers', () => {
  it('carries subscription, message-id, destination, content-length, content-type and user headers', async () => {
    const q = `/queue/${uniq('hdr')}`;
    const c = await client();
    await subscribe(c, 'sub-7', q);
    const p = await client();
    const json = '{"a":1}';
    await rt(p, 'SEND', { destination: q, 'content-type': 'application/json;charset=utf-8', foo: 'bar', 'x-empty': '' }, json);
    const [m] = await take(c, 1);
    assert.equal(getHeader(m.headers, 'subscription'), 'sub-7');
    assert.equal(getHeader(m.headers, 'destination'), q);
    assert.ok((getHeader(m.headers, 'message-id') ?? '').length > 0, 'message-id missing');
    assert.equal(getHeader(m.headers, 'content-length'), String(Buffer.byteLength(json)));
    assert.equal(getHeader(m.headers, 'content-type'), 'application/json;charset=utf-8');
    assert.equal(getHeader(m.headers, 'foo'), 'bar');
    assert.equal(getHeader(m.headers, 'x-empty'), '');
    assert.equal(body(m), json);
    // Broker-only headers are not copied from the SEND; auto-ack deliveries have no ack header.
    assert.equal(getHeader(m.headers, 'receipt'), undefined);
    assert.equal(getHeader(m.headers, 'ack'), undefined);
    assert.equal(getHeader(m.headers, 'redelivered'), undefined);
    // Each header once.
    assert.equal(new Set(names(m)).size, names(m).length, `repeated headers: ${names(m).join(',')}`);
  });

  it('message-ids are unique', async () => {
    const q = `/queue/${uniq('ids')}`;
    const c = await client();
    await subscribe(c, 's', q);
    const p = await client();
    await publish(p, q, Array.from({ length: 20 }, (_, i) => String(i)));
    const ids = (await take(c, 20)).map((f) => getHeader(f.headers, 'message-id'));
    assert.equal(new Set(ids).size, 20);
  });

  it('a client cannot forge broker-owned headers (message-id, subscription, redelivered, ack)', async () => {
    const q = `/queue/${uniq('forge')}`;
    const c = await client();
    await subscribe(c, 'real', q);
    const p = await client();
    await rt(p, 'SEND', { destination: q, 'message-id': 'forged', subscription: 'forged', redelivered: 'true', ack: '1' }, 'b');
    const [m] = await take(c, 1);
    assert.deepEqual(names(m).filter((n) => ['message-id', 'subscription', 'redelivered', 'ack'].includes(n)).sort(), ['message-id', 'subscription']);
    assert.notEqual(getHeader(m.headers, 'message-id'), 'forged');
    assert.equal(getHeader(m.headers, 'subscription'), 'real');
    assert.equal(getHeader(m.headers, 'redelivered'), undefined);
  });

  for (const version of ['1.1', '1.2'] as const) {
    it(`STOMP ${version}: a header value with ':', newline and backslash round trips escaped`, async () => {
      const q = `/queue/${uniq('esc')}`;
      const c = await client({ version });
      await subscribe(c, 's', q);
      const p = await client({ version });
      const value = 'a:b\nc\\d: e';
      await rt(p, 'SEND', { destination: q, weird: value, 'na:me': 'v' }, 'x');
      const [m] = await take(c, 1);
      assert.equal(getHeader(m.headers, 'weird'), 'a\\cb\\nc\\\\d\\c e', 'escaped on the wire');
      assert.equal(hdr(m, 'weird', version), value);
      assert.equal(hdr(m, 'na:me'.replace(':', '\\c'), version), 'v');
    });
  }

  it('STOMP 1.2: a carriage return in a value round trips as \\r', async () => {
    const q = `/queue/${uniq('cr')}`;
    const c = await client();
    await subscribe(c, 's', q);
    const p = await client();
    await rt(p, 'SEND', { destination: q, cr: 'line1\r\nline2' }, 'x');
    const [m] = await take(c, 1);
    assert.equal(getHeader(m.headers, 'cr'), 'line1\\r\\nline2');
    assert.equal(hdr(m, 'cr'), 'line1\r\nline2');
  });

  it('STOMP 1.0: values are not escaped', async () => {
    const q = `/queue/${uniq('e10')}`;
    const c = await client({ version: '1.0' });
    c.send('SUBSCRIBE', { destination: q, receipt: 'r' });
    await c.next('RECEIPT');
    const p = await client({ version: '1.0' });
    p.send('SEND', { destination: q, url: 'http://x:80/a\\b', receipt: 'p' }, 'x');
    await p.next('RECEIPT');
    const [m] = await take(c, 1);
    assert.equal(getHeader(m.headers, 'url'), 'http://x:80/a\\b');
  });

  it('STOMP 1.0 subscriber: a newline in a value from a 1.2 publisher cannot inject headers or cut the frame', async () => {
    const q = `/queue/${uniq('inject')}`;
    const c = await client({ version: '1.0' });
    c.send('SUBSCRIBE', { destination: q, receipt: 'r' });
    await c.next('RECEIPT');
    const p = await client();
    await rt(p, 'SEND', { destination: q, evil: 'x\nsubscription:hijack\n\nfake', 'bad\nname': 'v' }, 'real body');
    await rt(p, 'SEND', { destination: q }, 'second');
    const [m, m2] = await take(c, 2);
    // A 1.0 SUBSCRIBE without id: no subscription header on MESSAGE (STOMP 1.0, as RabbitMQ), and none forged.
    assert.deepEqual(names(m).filter((n) => n === 'subscription' || n === 'content-length'), ['content-length']);
    assert.equal(body(m), 'real body');
    assert.equal(body(m2), 'second');
    for (let i = 0; i < m.headers.length; i++) assert.ok(!/[\r\n]/.test(m.headers[i]), `raw line break in ${m.headers[i]}`);
  });

  it('keeps user headers in the order sent; of repeated headers the first wins', async () => {
    const q = `/queue/${uniq('rep')}`;
    const other = `/queue/${uniq('rep-other')}`;
    const c = await client();
    await subscribe(c, 's', q);
    await subscribe(c, 'o', other);
    const p = await client();
    p.write(encodeFrame('SEND', ['destination', q, 'destination', other, 'h3', '3', 'h1', 'first', 'h2', '2', 'h1', 'second', 'receipt', 'w'], 'rep', { version: '1.2' }));
    await p.next('RECEIPT');
    const [m] = await take(c, 1);
    assert.equal(getHeader(m.headers, 'subscription'), 's', 'routed by the first destination header');
    assert.equal(getHeader(m.headers, 'destination'), q);
    assert.deepEqual(m.headers.filter((_, i) => i % 2 === 0 && m.headers[i].startsWith('h')), ['h3', 'h1', 'h2']);
    assert.equal(getHeader(m.headers, 'h1'), 'first');
    assert.equal(names(m).filter((n) => n === 'destination').length, 1);
    await quiet(c);
  });

  it('the first of repeated broker-read headers wins too (persistent, expiration)', async () => {
    const q = `/queue/${uniq('rep2')}`;
    const p = await client();
    p.write(encodeFrame('SEND', ['destination', q, 'persistent', 'true', 'persistent', 'false', 'expiration', '60000', 'expiration', '1', 'receipt', 'w'], 'x', { version: '1.2' }));
    await p.next('RECEIPT');
    await sleep(30);
    const c = await client();
    await subscribe(c, 's', q);
    const [m] = await take(c, 1);
    assert.equal(getHeader(m.headers, 'persistent'), 'true');
    assert.equal(getHeader(m.headers, 'expiration'), '60000');
  });
});

describe('MESSAGE bodies', () => {
  const binary = Buffer.from([0x61, 0x00, 0x62, 0x00, 0x00, 0x0a, 0xff, 0xfe, 0x00]);
  for (const transport of ['tcp', 'ws'] as const) {
    it(`${transport}: a body with NULs (and non-UTF-8 bytes) arrives whole by content-length`, async () => {
      const q = `/queue/${uniq('nul')}`;
      const c = await client({ ws: transport === 'ws' });
      await subscribe(c, 's', q);
      const p = await client({ ws: transport === 'ws' });
      await rt(p, 'SEND', { destination: q, 'content-type': 'application/octet-stream' }, binary);
      const m = (await take(c, 1))[0];
      assert.equal(getHeader(m.headers, 'content-length'), String(binary.length));
      assert.deepEqual(Buffer.from(m.body), binary);
    });

    it(`${transport}: Chinese and emoji bodies and header values round trip; content-length counts bytes`, async () => {
      const q = `/queue/${uniq('utf8')}`;
      const c = await client({ ws: transport === 'ws' });
      await subscribe(c, 's', q);
      const p = await client({ ws: transport === 'ws' });
      const text = '你好，世界！🎉👍🏽 消息队列 — ok';
      await rt(p, 'SEND', { destination: q, 'content-type': 'text/plain;charset=utf-8', 'x-名字': '张三 🐼' }, text);
      const m = (await take(c, 1))[0];
      assert.equal(body(m), text);
      assert.equal(getHeader(m.headers, 'content-length'), String(Buffer.byteLength(text)));
      assert.equal(getHeader(m.headers, 'x-名字'), '张三 🐼');
    });
  }

  it('an empty body arrives with content-length:0', async () => {
    const q = `/queue/${uniq('empty')}`;
    const c = await client();
    await subscribe(c, 's', q);
    const p = await client();
    await rt(p, 'SEND', { destination: q });
    const m = (await take(c, 1))[0];
    assert.equal(m.body.length, 0);
    assert.equal(getHeader(m.headers, 'content-length'), '0');
  });

  it('a SEND without content-length ends at the first NUL', async () => {
    const q = `/queue/${uniq('nocl')}`;
    const c = await client();
    await subscribe(c, 's', q);
    const p = await client();
    p.write(`SEND\ndestination:${q}\nreceipt:n\n\nhello 世界\0`);
    await p.next('RECEIPT');
    const m = (await take(c, 1))[0];
    assert.equal(body(m), 'hello 世界');
    assert.equal(getHeader(m.headers, 'content-length'), String(Buffer.byteLength('hello 世界')));
  });

  it('a 1 MB body arrives intact', async () => {
    const q = `/queue/${uniq('big')}`;
    const c = await client();
    await subscribe(c, 's', q);
    const p = await client();
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    send(p, 'SEND', { destination: q }, big);
    const m = (await take(c, 1))[0];
    assert.ok(Buffer.from(m.body).equals(big));
  });
});

describe('--max-queue-length', () => {
  let small: SpawnedBroker;
  before(async () => {
    small = await spawnBroker(['--max-queue-length', '3']);
  });
  after(async () => {
    await small.stop();
  });

  // A full queue drops its oldest message to the dead-letter queue (RabbitMQ's
  // x-max-length default overflow, drop-head); the newest messages are kept.
  it('a queue holds at most that many messages; the oldest go to the DLQ', async () => {
    const q = `/queue/${uniq('max')}`;
    const p = await open(small.stompPort);
    for (let i = 0; i < 5; i++) send(p, 'SEND', { destination: q }, `m${i}`);
    await rt(p, 'SEND', { destination: q }, 'm5');
    const c = await open(small.stompPort);
    await subscribe(c, 's', q);
    await sleep(200);
    const got = c.frames.filter((f) => f.command === 'MESSAGE');
    p.close();
    c.close();
    assert.ok(got.length <= 3, `the queue held ${got.length} messages`);
    assert.deepEqual(got.map((f) => Buffer.from(f.body).toString()), ['m3', 'm4', 'm5']);
  });
});
