/**
 * Topics over the wire: fan-out, no retention, `*` and `#` wildcards, exact-match
 * destinations outside `/topic/` (Spring's simple broker, as mini-programs use it),
 * and temp queues (`reply-to: /temp-queue/...`, rewritten to `/reply-queue/...`).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader } from '@stompbox/stomp-codec';
import { bodies, body, errorAndClose, publish, quiet, rt, send, subscribe, take, uniq, type Client, fileBroker } from '../support/messaging.js';

const { client } = fileBroker();

/** Collects MESSAGE bodies until the one whose body is `end` (excluded). */
async function until(c: Client, end: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const f = await c.next('MESSAGE');
    if (body(f) === end) return out;
    out.push(`${getHeader(f.headers, 'destination')} ${body(f)}`);
  }
}

describe('topics fan out and keep nothing', () => {
  it('every subscriber gets every message, in order', async () => {
    const t = `/topic/${uniq('fan')}`;
    const subs = [await client(), await client(), await client({ ws: true }), await client({ version: '1.1' })];
    for (const [i, s] of subs.entries()) await subscribe(s, `s${i}`, t);
    const p = await client();
    await publish(p, t, ['a', 'b', 'c']);
    for (const s of subs) assert.deepEqual(bodies(await take(s, 3)), ['a', 'b', 'c']);
  });

  it('two subscriptions of one connection to the same topic each get a copy', async () => {
    const t = `/topic/${uniq('twice')}`;
    const c = await client();
    await subscribe(c, 'one', t);
    await subscribe(c, 'two', t);
    const p = await client();
    await publish(p, t, ['x']);
    const got = await take(c, 2);
    assert.deepEqual(got.map((f) => getHeader(f.headers, 'subscription')).sort(), ['one', 'two']);
    assert.deepEqual(bodies(got), ['x', 'x']);
  });

  it('keeps no messages: a subscriber that comes after the SEND gets nothing', async () => {
    const t = `/topic/${uniq('noret')}`;
    const p = await client();
    await publish(p, t, ['early']);
    const c = await client();
    await subscribe(c, 's', t);
    await quiet(c, 200);
    await publish(p, t, ['late']);
    assert.deepEqual(bodies(await take(c, 1)), ['late']);
  });

  it('after UNSUBSCRIBE nothing more arrives', async () => {
    const t = `/topic/${uniq('unsub')}`;
    const c = await client();
    await subscribe(c, 's', t);
    await rt(c, 'UNSUBSCRIBE', { id: 's' });
    const p = await client();
    await publish(p, t, ['gone']);
    await quiet(c);
  });
});

describe('wildcards', () => {
  it("'*' matches exactly one word, '#' zero or more", async () => {
    const base = uniq('w');
    const end = `/topic/${base}.end.mark`;
    const patterns: Record<string, string> = {
      star: `/topic/${base}.*`,
      hash: `/topic/${base}.#`,
      exact: `/topic/${base}.b`,
      mid: `/topic/${base}.*.c`,
      hashMid: `/topic/${base}.#.c`,
    };
    const cs: Record<string, Client> = {};
    for (const [k, d] of Object.entries(patterns)) {
      cs[k] = await client();
      await subscribe(cs[k], k, d);
      await subscribe(cs[k], 'end', end);
    }
    const p = await client();
    for (const key of [base, `${base}.b`, `${base}.b.c`, `${base}.c`, `${base}x.b`, `${base}.b.b.c`]) send(p, 'SEND', { destination: `/topic/${key}` }, key);
    await publish(p, end, ['END']);
    const got = async (k: string) => (await until(cs[k], 'END')).map((s) => s.split(' ')[1]);
    assert.deepEqual(await got('star'), [`${base}.b`, `${base}.c`]);
    assert.deepEqual(await got('hash'), [base, `${base}.b`, `${base}.b.c`, `${base}.c`, `${base}.b.b.c`]);
    assert.deepEqual(await got('exact'), [`${base}.b`]);
    assert.deepEqual(await got('mid'), [`${base}.b.c`]);
    assert.deepEqual(await got('hashMid'), [`${base}.b.c`, `${base}.c`, `${base}.b.b.c`]);
  });

  it('a message reaching a pattern subscription by several paths is delivered once', async () => {
    const base = uniq('dup');
    const c = await client();
    await subscribe(c, 'hh', `/topic/${base}.#.#`);
    const p = await client();
    await publish(p, `/topic/${base}.a.b.c`, ['once']);
    assert.deepEqual(bodies(await take(c, 1)), ['once']);
    await quiet(c);
  });

  it('the MESSAGE names the destination it was sent to, not the pattern', async () => {
    const base = uniq('dest');
    const c = await client();
    await subscribe(c, 'p', `/topic/${base}.#`);
    const p = await client();
    await publish(p, `/topic/${base}.x.y`, ['m']);
    const [m] = await take(c, 1);
    assert.equal(getHeader(m.headers, 'destination'), `/topic/${base}.x.y`);
    assert.equal(getHeader(m.headers, 'subscription'), 'p');
  });

  it('after UNSUBSCRIBE of a pattern, other patterns keep working', async () => {
    const base = uniq('unp');
    const c = await client();
    await subscribe(c, 'a', `/topic/${base}.*`);
    await subscribe(c, 'b', `/topic/${base}.#`);
    await rt(c, 'UNSUBSCRIBE', { id: 'a' });
    const p = await client();
    await publish(p, `/topic/${base}.k`, ['k']);
    const [m] = await take(c, 1);
    assert.equal(getHeader(m.headers, 'subscription'), 'b');
    await quiet(c);
  });
});

describe('destinations outside /topic/ are exact-match topics', () => {
  it('/response/1/2 reaches only its own subscribers (the mini-program chat case, over WebSocket)', async () => {
    const room = `/response/${uniq('')}/2`;
    const alice = await client({ ws: true });
    const bob = await client({ ws: true });
    const other = await client({ ws: true });
    await subscribe(alice, 'sub-0', room);
    await subscribe(bob, 'sub-0', room);
    await subscribe(other, 'sub-0', `${room}/x`);
    await subscribe(other, 'sub-1', room.replace(/2$/, '*'));
    await subscribe(other, 'sub-2', room.replace(/2$/, '#'));
    await publish(alice, room, ['你好 bob'], { 'content-type': 'text/plain;charset=UTF-8' });
    for (const c of [alice, bob]) {
      const [m] = await take(c, 1);
      assert.equal(body(m), '你好 bob');
      assert.equal(getHeader(m.headers, 'destination'), room);
      assert.equal(getHeader(m.headers, 'subscription'), 'sub-0');
    }
    await quiet(other);
  });

  it('nothing is kept for an exact-match topic either', async () => {
    const d = `/exchange/${uniq('x')}`;
    const p = await client();
    await publish(p, d, ['before']);
    const c = await client();
    await subscribe(c, 's', d);
    await quiet(c);
  });
});

describe('temp queues', () => {
  /** Requester A sends to a service queue with reply-to; responder B answers. */
  async function setup(): Promise<{ a: Client; b: Client; service: string }> {
    const service = `/queue/${uniq('svc')}`;
    const a = await client();
    const b = await client();
    await subscribe(b, 'req', service);
    return { a, b, service };
  }

  it('reply-to: /temp-queue/r1 is rewritten to /reply-queue/...; the reply reaches the requester without a SUBSCRIBE', async () => {
    const { a, b, service } = await setup();
    await rt(a, 'SEND', { destination: service, 'reply-to': '/temp-queue/r1', 'correlation-id': 'c1' }, 'ping');
    const [req] = await take(b, 1);
    const replyTo = getHeader(req.headers, 'reply-to') ?? '';
    assert.match(replyTo, /^\/reply-queue\/.+/);
    assert.equal(getHeader(req.headers, 'correlation-id'), 'c1');
    await rt(b, 'SEND', { destination: replyTo, 'correlation-id': 'c1' }, 'pong');
    const [reply] = await take(a, 1);
    assert.equal(body(reply), 'pong');
    assert.equal(getHeader(reply.headers, 'subscription'), '/temp-queue/r1');
    assert.equal(getHeader(reply.headers, 'correlation-id'), 'c1');
    assert.equal(getHeader(reply.headers, 'destination'), replyTo);
  });

  it('the same temp queue name is the same reply queue; different names and connections differ', async () => {
    const { a, b, service } = await setup();
    const a2 = await client();
    await rt(a, 'SEND', { destination: service, 'reply-to': '/temp-queue/r1' }, '1');
    await rt(a, 'SEND', { destination: service, 'reply-to': '/temp-queue/r1' }, '2');
    await rt(a, 'SEND', { destination: service, 'reply-to': '/temp-queue/r2' }, '3');
    await rt(a2, 'SEND', { destination: service, 'reply-to': '/temp-queue/r1' }, '4');
    const rts = (await take(b, 4)).map((f) => getHeader(f.headers, 'reply-to'));
    assert.equal(rts[0], rts[1]);
    assert.equal(new Set(rts).size, 3);
    // Replies go to their own requester only, with the temp queue they named.
    await rt(b, 'SEND', { destination: rts[3] as string }, 'for a2');
    await rt(b, 'SEND', { destination: rts[2] as string }, 'for a r2');
    const [m2] = await take(a2, 1);
    assert.equal(body(m2), 'for a2');
    assert.equal(getHeader(m2.headers, 'subscription'), '/temp-queue/r1');
    const [m] = await take(a, 1);
    assert.equal(body(m), 'for a r2');
    assert.equal(getHeader(m.headers, 'subscription'), '/temp-queue/r2');
  });

  it('works for requests published to a topic, and over WebSocket', async () => {
    const t = `/topic/${uniq('rpc')}`;
    const a = await client({ ws: true });
    const b = await client();
    await subscribe(b, 's', t);
    await rt(a, 'SEND', { destination: t, 'reply-to': '/temp-queue/answers' }, 'q?');
    const [req] = await take(b, 1);
    await rt(b, 'SEND', { destination: getHeader(req.headers, 'reply-to') as string }, 'a!');
    const [reply] = await take(a, 1);
    assert.equal(body(reply), 'a!');
    assert.equal(getHeader(reply.headers, 'subscription'), '/temp-queue/answers');
  });

  it('a client cannot SEND to or SUBSCRIBE to a /temp-queue/ directly', async () => {
    const c = await client();
    send(c, 'SEND', { destination: '/temp-queue/x' }, 'no');
    const e = await errorAndClose(c);
    assert.match(getHeader(e.headers, 'message') ?? '', /temp-queue/);
    const d = await client();
    send(d, 'SUBSCRIBE', { id: 's', destination: '/temp-queue/x' });
    const e2 = await errorAndClose(d);
    assert.match(getHeader(e2.headers, 'message') ?? '', /temp-queue/);
  });

  it("replies to a requester that disconnected are not delivered to anyone else", async () => {
    const { a, b, service } = await setup();
    await rt(a, 'SEND', { destination: service, 'reply-to': '/temp-queue/gone' }, 'ping');
    const replyTo = getHeader((await take(b, 1))[0].headers, 'reply-to') as string;
    a.close();
    await a.closed;
    await rt(b, 'SEND', { destination: replyTo }, 'late');
    const spy = await client();
    // A reply queue cannot be subscribed to, so nobody else can read another session's replies.
    send(spy, 'SUBSCRIBE', { id: 's', destination: replyTo });
    await errorAndClose(spy);
  });
});

