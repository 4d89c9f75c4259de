/**
 * Topic history and recovery (docs/recovery.md): MESSAGE frames of a destination with
 * history carry `stompbox-position` and `stompbox-epoch`; a SUBSCRIBE with
 * `stompbox-resume: <epoch>:<position>` gets what followed, then live messages, with
 * no gap and no duplicate, or a RECEIPT saying why it cannot (history too short,
 * epoch changed, no history, wildcard). The history is in the store: it survives a crash.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader, type Frame } from '@stompbox/stomp-codec';
import { bodies, dataDirBrokers, hdr, publish, quiet, rt, send, sleep, take, uniq, type Client } from '../support/messaging.js';

const POLICIES = JSON.stringify([
  { match: '/topic/h.#', history: 5 },
  { match: '/topic/race.#', history: 100 },
  { match: '/topic/aged.#', history: 100, historyAgeMs: 300 },
  { match: '/app/feed', history: 3 },
]);
const { start, client } = dataDirBrokers('stompbox-history-', ['--destinations', POLICIES]);

let receipts = 0;
/** SUBSCRIBE with a receipt; returns the RECEIPT frame (its extension headers are the answer). */
async function subscribeFor(c: Client, id: string, destination: string, extra: Record<string, string> = {}): Promise<Frame> {
  const r = `sub-${++receipts}`;
  send(c, 'SUBSCRIBE', { id, destination, receipt: r, ...extra });
  return c.next('RECEIPT', (f) => getHeader(f.headers, 'receipt-id') === r);
}
const pos = (f: Frame) => Number(hdr(f, 'stompbox-position'));

describe('topic history: positions, epochs and resume', () => {
  it('messages carry consecutive positions and one epoch; resume after a position gets the rest, then live ones', async () => {
    const topic = `/topic/h.${uniq('a')}`;
    const broker = await start();
    const p = await client(broker);
    const first = await subscribeFor(p, 'watch', topic);
    assert.equal(hdr(first, 'stompbox-position'), '0', 'a plain SUBSCRIBE learns where the history stands');
    const epoch = hdr(first, 'stompbox-epoch') as string;
    assert.match(epoch, /^[^:]+$/);
    await publish(p, topic, ['a1', 'a2', 'a3']);
    const seen = await take(p, 3);
    assert.deepEqual(seen.map(pos), [1, 2, 3]);
    assert.deepEqual(seen.map((m) => hdr(m, 'stompbox-epoch')), [epoch, epoch, epoch]);

    const r = await client(broker);
    const receipt = await subscribeFor(r, 's', topic, { 'stompbox-resume': `${epoch}:1` });
    assert.equal(hdr(receipt, 'stompbox-resume'), 'ok');
    assert.equal(hdr(receipt, 'stompbox-position'), '3');
    assert.equal(hdr(receipt, 'stompbox-epoch'), epoch);
    const missed = await take(r, 2);
    assert.deepEqual(bodies(missed), ['a2', 'a3']);
    assert.deepEqual(missed.map(pos), [2, 3]);
    await publish(p, topic, ['a4']);
    const [live] = await take(r, 1);
    assert.deepEqual([live].map(pos), [4]);
    await quiet(r, 150);

    // Resuming at the head: nothing missed, nothing repeated.
    const h = await client(broker);
    assert.equal(hdr(await subscribeFor(h, 's', topic, { 'stompbox-resume': `${epoch}:4` }), 'stompbox-resume'), 'ok');
    await quiet(h, 150);
  });

  it('a stream published while the subscriber resubscribes: every position exactly once, in order', async () => {
    // A history longer than the test: the in-flight sends race the SUBSCRIBE (they come
    // on another connection), so one round may be up to six behind.
    const topic = `/topic/race.${uniq('race')}`;
    const broker = await start();
    const p = await client(broker);
    const s = await client(broker);
    const epoch = hdr(await subscribeFor(s, 's', topic), 'stompbox-epoch') as string;
    let last = 0;
    const got: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3; i++) send(p, 'SEND', { destination: topic }, `r${round}-${i}`);
      await rt(p, 'SEND', { destination: topic }, `r${round}-end`);
      // Take some, then drop the subscription and resume where we were, with sends in flight.
      const frames = await take(s, 2);
      for (const f of frames) got.push((last = pos(f)));
      await rt(s, 'UNSUBSCRIBE', { id: 's' });
      s.frames.length = 0; // whatever arrived after what we counted is dropped, as a reconnecting client loses it
      for (let i = 0; i < 2; i++) send(p, 'SEND', { destination: topic }, `gap${round}-${i}`);
      const receipt = await subscribeFor(s, 's', topic, { 'stompbox-resume': `${epoch}:${last}` });
      assert.equal(hdr(receipt, 'stompbox-resume'), 'ok', `round ${round}: ${hdr(receipt, 'stompbox-reason')}`);
      const behind = Number(hdr(receipt, 'stompbox-position')) - last;
      for (const f of await take(s, behind)) got.push((last = pos(f)));
    }
    assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => i + 1));
  });

  it('a clean restart keeps the history whole: same epoch, every resume works, positions go on', async () => {
    const topic = `/topic/h.${uniq('restart')}`;
    let broker = await start();
    let p = await client(broker);
    const epoch = hdr(await subscribeFor(p, 'w', topic), 'stompbox-epoch') as string;
    await publish(p, topic, ['c1', 'c2', 'c3']);
    await take(p, 3);
    await broker.stop();
    broker = await start();
    const r = await client(broker);
    const receipt = await subscribeFor(r, 's', topic, { 'stompbox-resume': `${epoch}:1` });
    assert.equal(hdr(receipt, 'stompbox-resume'), 'ok', hdr(receipt, 'stompbox-reason'));
    assert.deepEqual(bodies(await take(r, 2)), ['c2', 'c3']);
    p = await client(broker);
    await publish(p, topic, ['c4']);
    const [next] = await take(r, 1);
    assert.equal(pos(next), 4);
    assert.equal(hdr(next, 'stompbox-epoch'), epoch);
  });

  it('after a crash: same epoch, numbering goes on past every position handed out; a resume from before the crash is history-too-short', async () => {
    const topic = `/topic/h.${uniq('crash')}`;
    let broker = await start();
    let p = await client(broker);
    const epoch = hdr(await subscribeFor(p, 'w', topic), 'stompbox-epoch') as string;
    await publish(p, topic, ['c1', 'c2', 'c3']);
    await take(p, 3);
    await broker.stop('SIGKILL');
    broker = await start();
    const r = await client(broker);
    const receipt = await subscribeFor(r, 's', topic, { 'stompbox-resume': `${epoch}:3` });
    assert.equal(hdr(receipt, 'stompbox-resume'), 'unavailable');
    assert.equal(hdr(receipt, 'stompbox-reason'), 'history-too-short');
    assert.equal(hdr(receipt, 'stompbox-epoch'), epoch);
    const at = Number(hdr(receipt, 'stompbox-position'));
    assert.ok(at > 3, `the history stands at ${at}, past the 3 handed out`);
    p = await client(broker);
    await publish(p, topic, ['c4']);
    const [next] = await take(r, 1);
    assert.equal(pos(next), at + 1);
    assert.equal(hdr(next, 'stompbox-epoch'), epoch);
    const later = await client(broker);
    assert.equal(hdr(await subscribeFor(later, 's', topic, { 'stompbox-resume': `${epoch}:${at}` }), 'stompbox-resume'), 'ok');
    assert.deepEqual(bodies(await take(later, 1)), ['c4']);
  });

  it('unavailable: history too short, another epoch, a position never handed out, an age bound passed, a wildcard, no history; the subscription still runs live', async () => {
    const topic = `/topic/h.${uniq('short')}`;
    const broker = await start();
    const p = await client(broker);
    const epoch = hdr(await subscribeFor(p, 'w', topic), 'stompbox-epoch') as string;
    await publish(p, topic, Array.from({ length: 8 }, (_, i) => `s${i + 1}`)); // history keeps 4..8
    const cases: [string, Record<string, string>, string][] = [
      [topic, { 'stompbox-resume': `${epoch}:2` }, 'history-too-short'],
      [topic, { 'stompbox-resume': `other:2` }, 'epoch-changed'],
      [topic, { 'stompbox-resume': `${epoch}:99` }, 'position-ahead'],
      ['/topic/h.*', { 'stompbox-resume': `${epoch}:2` }, 'wildcard'],
      [`/topic/plain.${uniq('x')}`, { 'stompbox-resume': `${epoch}:2` }, 'no-history'],
    ];
    for (const [dest, headers, reason] of cases) {
      const c = await client(broker);
      const receipt = await subscribeFor(c, 's', dest, headers);
      assert.equal(hdr(receipt, 'stompbox-resume'), 'unavailable', reason);
      assert.equal(hdr(receipt, 'stompbox-reason'), reason);
      if (reason !== 'wildcard' && reason !== 'no-history') assert.equal(hdr(receipt, 'stompbox-position'), '8');
      await quiet(c, 50);
    }
    // The one resume point that still works: just before the oldest kept.
    const ok = await client(broker);
    assert.equal(hdr(await subscribeFor(ok, 's', topic, { 'stompbox-resume': `${epoch}:3` }), 'stompbox-resume'), 'ok');
    assert.deepEqual(bodies(await take(ok, 5)), ['s4', 's5', 's6', 's7', 's8']);

    const aged = `/topic/aged.${uniq('x')}`;
    const e2 = hdr(await subscribeFor(p, 'a', aged), 'stompbox-epoch') as string;
    await publish(p, aged, ['old']);
    await sleep(400);
    const c = await client(broker);
    const receipt = await subscribeFor(c, 's', aged, { 'stompbox-resume': `${e2}:0` });
    assert.equal(hdr(receipt, 'stompbox-reason'), 'history-too-short');
    await publish(p, aged, ['live']);
    assert.deepEqual(bodies(await take(c, 1)), ['live'], 'an unavailable resume still subscribes live');
  });

  it('a malformed stompbox-resume is an ERROR; a client cannot forge a position header', async () => {
    const broker = await start();
    const p = await client(broker);
    const topic = '/app/feed';
    await subscribeFor(p, 'w', topic);
    send(p, 'SEND', { destination: topic, 'stompbox-position': '999', 'stompbox-epoch': 'forged' }, 'x');
    const [m] = await take(p, 1);
    assert.equal(hdr(m, 'stompbox-position'), '1');
    assert.notEqual(hdr(m, 'stompbox-epoch'), 'forged');
    const bad = await client(broker);
    send(bad, 'SUBSCRIBE', { id: 's', destination: topic, 'stompbox-resume': 'no-position' });
    const err = await bad.next('ERROR');
    assert.equal(hdr(err, 'code'), 'STOMPBOX_ERR_BAD_HEADER_VALUE');
  });

  it('client acks: the replayed messages are held for ack like live ones', async () => {
    const topic = `/topic/h.${uniq('ack')}`;
    const broker = await start();
    const p = await client(broker);
    const epoch = hdr(await subscribeFor(p, 'w', topic), 'stompbox-epoch') as string;
    await publish(p, topic, ['k1', 'k2', 'k3']);
    const c = await client(broker);
    await subscribeFor(c, 's', topic, { 'stompbox-resume': `${epoch}:0`, ack: 'client-individual', 'prefetch-count': '2' });
    const two = await take(c, 2);
    assert.deepEqual(bodies(two), ['k1', 'k2']);
    await quiet(c, 100);
    await rt(c, 'ACK', { id: hdr(two[0], 'ack') as string });
    assert.deepEqual(bodies(await take(c, 1)), ['k3']);
  });
});
