/**
 * Selectors over the wire (SUBSCRIBE's `selector` header, the JMS subset): on
 * topics a subscription sees only matching messages; on queues non-matching
 * messages stay for other consumers; header strings compare as numbers; IN, LIKE,
 * IS NULL; a malformed selector is an ERROR that names the problem.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader } from '@stompbox/stomp-codec';
import { bodies, errorAndClose, hdr, publish, quiet, rt, send, subscribe, take, uniq, fileBroker } from '../support/messaging.js';

const { client } = fileBroker();

/** Publishes one message per header set (body = its index) and returns the bodies a selector lets through. */
async function filter(selector: string, sets: Record<string, string | undefined>[]): Promise<string[]> {
  const t = `/topic/${uniq('sel')}`;
  const c = await client();
  await subscribe(c, 's', t, { selector });
  await subscribe(c, 'end', `${t}.end`);
  const p = await client();
  for (const [i, h] of sets.entries()) send(p, 'SEND', { destination: t, ...(h as Record<string, string>) }, String(i));
  await publish(p, `${t}.end`, ['END']);
  const got: string[] = [];
  for (;;) {
    const f = await c.next('MESSAGE');
    if (getHeader(f.headers, 'subscription') === 'end') return got;
    got.push(Buffer.from(f.body).toString());
  }
}

describe('selectors on topics and queues', () => {
  it("selector: location = 'Europe' on a topic: only matching messages, other subscribers see all", async () => {
    const t = `/topic/${uniq('geo')}`;
    const eu = await client();
    const all = await client();
    await subscribe(eu, 'eu', t, { selector: "location = 'Europe'" });
    await subscribe(all, 'all', t);
    const p = await client();
    send(p, 'SEND', { destination: t, location: 'Asia' }, 'tokyo');
    send(p, 'SEND', { destination: t, location: 'Europe' }, 'paris');
    send(p, 'SEND', { destination: t }, 'nowhere');
    await publish(p, t, ['berlin'], { location: 'Europe' });
    assert.deepEqual(bodies(await take(eu, 2)), ['paris', 'berlin']);
    assert.deepEqual(bodies(await take(all, 4)), ['tokyo', 'paris', 'nowhere', 'berlin']);
    await quiet(eu);
  });

  it('on a queue, messages the selector rejects stay for another consumer, in order', async () => {
    const q = `/queue/${uniq('geoq')}`;
    const eu = await client();
    await subscribe(eu, 'eu', q, { selector: "location = 'Europe'" });
    const p = await client();
    send(p, 'SEND', { destination: q, location: 'Asia' }, 'a1');
    send(p, 'SEND', { destination: q, location: 'Europe' }, 'e1');
    send(p, 'SEND', { destination: q, location: 'Asia' }, 'a2');
    await publish(p, q, ['e2'], { location: 'Europe' });
    assert.deepEqual(bodies(await take(eu, 2)), ['e1', 'e2']);
    await quiet(eu);
    const other = await client();
    await subscribe(other, 'any', q);
    assert.deepEqual(bodies(await take(other, 2)), ['a1', 'a2']);
    await quiet(other);
  });

  it('on a queue, two consumers with disjoint selectors each get only their messages', async () => {
    const q = `/queue/${uniq('split')}`;
    const red = await client();
    const blue = await client();
    await subscribe(red, 'r', q, { selector: "color = 'red'" });
    await subscribe(blue, 'b', q, { selector: "color = 'blue'" });
    const p = await client();
    for (let i = 0; i < 6; i++) send(p, 'SEND', { destination: q, color: i % 2 ? 'blue' : 'red' }, `${i}`);
    await rt(p, 'SEND', { destination: q, color: 'green' }, 'g');
    assert.deepEqual(bodies(await take(red, 3)), ['0', '2', '4']);
    assert.deepEqual(bodies(await take(blue, 3)), ['1', '3', '5']);
    await quiet(red, 100);
    await quiet(blue, 0);
  });

  it('a selective consumer with client acks and prefetch still lets others take the rest', async () => {
    const q = `/queue/${uniq('selpf')}`;
    const vip = await client();
    await subscribe(vip, 'v', q, { selector: "tier = 'gold'", ack: 'client-individual', 'prefetch-count': '1' });
    const p = await client();
    await publish(p, q, ['g1', 'g2'], { tier: 'gold' });
    await publish(p, q, ['s1'], { tier: 'silver' });
    assert.deepEqual(bodies(await take(vip, 1)), ['g1']);
    const rest = await client();
    await subscribe(rest, 'r', q);
    // vip has no credit left: g2 goes to the consumer that can take it, as does s1.
    assert.deepEqual(bodies(await take(rest, 2)), ['g2', 's1']);
    await quiet(vip);
  });

  it('a selector also applies to the broker-set destination header', async () => {
    const base = uniq('d');
    const c = await client();
    await subscribe(c, 's', `/topic/${base}.*`, { selector: `destination = '/topic/${base}.yes'` });
    const p = await client();
    await publish(p, `/topic/${base}.no`, ['no']);
    await publish(p, `/topic/${base}.yes`, ['yes']);
    assert.deepEqual(bodies(await take(c, 1)), ['yes']);
  });
});

describe('selector expressions on header strings', () => {
  const prices = ['9', '10', '10.5', '11', '100', 'abc', '2e1', ' 12', '-20'].map((price) => ({ price }));

  it('price > 10 compares numerically (header strings converted strictly)', async () => {
    assert.deepEqual(await filter('price > 10', [...prices, {}]), ['2', '3', '4', '6']);
  });

  it('arithmetic and BETWEEN', async () => {
    assert.deepEqual(await filter('price * 2 >= 21 AND price BETWEEN 0 AND 50', prices), ['2', '3', '6']);
  });

  it("IN ('red', 'green') and NOT IN", async () => {
    const sets = [{ color: 'red' }, { color: 'blue' }, { color: 'green' }, {}, { color: 'RED' }];
    assert.deepEqual(await filter("color IN ('red', 'green')", sets), ['0', '2']);
    assert.deepEqual(await filter("color NOT IN ('red', 'green')", sets), ['1', '4']);
  });

  it("LIKE with % and _, and ESCAPE", async () => {
    const sets = ['order-1', 'order-12', 'Order-1', 'order_1', 'orders', '订单-1'].map((name) => ({ name }));
    assert.deepEqual(await filter("name LIKE 'order-_'", sets), ['0']);
    assert.deepEqual(await filter("name LIKE 'order%'", sets), ['0', '1', '3', '4']);
    assert.deepEqual(await filter("name LIKE 'order!_%' ESCAPE '!'", sets), ['3']);
    assert.deepEqual(await filter("name LIKE '订单%'", sets), ['5']);
  });

  it('IS NULL and IS NOT NULL', async () => {
    const sets = [{ trace: 'x' }, {}, { trace: '' }];
    assert.deepEqual(await filter('trace IS NULL', sets), ['1']);
    assert.deepEqual(await filter('trace IS NOT NULL', sets), ['0', '2']);
  });

  it('AND, OR, NOT and parentheses; a missing header is unknown, not false', async () => {
    const sets = [{ a: '1', b: 'x' }, { a: '2', b: 'y' }, { a: '1' }, { b: 'x' }];
    assert.deepEqual(await filter("(a = '1' OR a = '2') AND NOT b = 'y'", sets), ['0']);
    assert.deepEqual(await filter("NOT (b = 'y')", sets), ['0', '3']);
  });

  it('a quoted identifier selects a header with a dash; a value with an escaped quote', async () => {
    const sets = [{ 'x-kind': "it's" }, { 'x-kind': 'its' }];
    assert.deepEqual(await filter(`"x-kind" = 'it''s'`, sets), ['0']);
  });

  it('a selector value with ":" survives STOMP 1.2 header escaping', async () => {
    assert.deepEqual(await filter("url = 'http://x:80/'", [{ url: 'http://x:80/' }, { url: 'http://x' }]), ['0']);
  });
});

describe('malformed selectors', () => {
  const cases: [string, RegExp][] = [
    ["location = 'Europe", /unterminated/],
    ['location = ', /expected an expression at column 12\b/],
    ['price >> 10', /column 8\b.*'>'/],
    ['location == 1', /column 10\b/],
    ["color IN ()", /string literal at column 11\b/],
    ["location = 'Europe' AND", /column 24\b.*end of input/],
  ];
  for (const [selector, message] of cases) {
    it(`${JSON.stringify(selector)} → ERROR naming the problem`, async () => {
      const c = await client();
      send(c, 'SUBSCRIBE', { id: 's', destination: `/topic/${uniq('bad')}`, selector, receipt: 'sub' });
      const e = await errorAndClose(c);
      const text = hdr(e, 'message') ?? '';
      assert.match(text, /^selector: /);
      assert.match(text, message);
      assert.equal(getHeader(e.headers, 'receipt-id'), 'sub');
      assert.equal(c.frames.filter((f) => f.command === 'RECEIPT').length, 0, 'no RECEIPT for a refused SUBSCRIBE');
    });
  }

  it('a refused SUBSCRIBE leaves no subscription behind', async () => {
    const t = `/queue/${uniq('badq')}`;
    const c = await client();
    send(c, 'SUBSCRIBE', { id: 's', destination: t, selector: 'a =' });
    await errorAndClose(c);
    const p = await client();
    await publish(p, t, ['kept']);
    const d = await client();
    await subscribe(d, 'd', t);
    assert.deepEqual(bodies(await take(d, 1)), ['kept']);
  });
});
