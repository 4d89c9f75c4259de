/**
 * Topic history across crashes (issue 15, docs/recovery.md "After a restart or a
 * crash"): the broker is SIGKILLed right after bursts of publishes, with no wait for
 * its store, at seeded random moments, and restarted on the same data directory.
 * Checked for every subscriber, over the whole run:
 * (1) a position is never reused: one (epoch, position) is always the same message;
 * (2) the epoch stays, and after a restart the history stands past the highest position
 *     any client saw (numbering goes on after it);
 * (3) a resume from a position seen before a crash is `history-too-short` (what followed
 *     it may be lost), never `ok` and never `epoch-changed`; a resume within one broker
 *     process is `ok` and gets positions P+1.. in order, each the message that position
 *     always was;
 * (4) within one broker process, a subscriber sees consecutive positions.
 * Before issue 15 a history message went out before it was written, a crash lost it,
 * and the restarted broker numbered new messages from the last position on disk under
 * the same epoch. The seed is printed with every failure; CRASH_SEED replays one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader, type Frame } from '@stompbox/stomp-codec';
import { body, dataDirBrokers, hdr, publish, send, take, uniq, type Client } from '../support/messaging.js';
import { between, crashSeed, rng } from '../support/seeded.js';
import type { SpawnedBroker } from '../support/spawn-broker.js';

const SEED = crashSeed();
const HISTORY = 500;
const ROUNDS = 6;
const POLICIES = JSON.stringify([{ match: '/topic/hist.#', history: HISTORY }]);
const { start, client } = dataDirBrokers('stompbox-history-crash-', ['--destinations', POLICIES]);

const pos = (f: Frame) => Number(hdr(f, 'stompbox-position'));
const epochOf = (f: Frame) => hdr(f, 'stompbox-epoch') as string;

let receipts = 0;
async function subscribeFor(c: Client, destination: string, extra: Record<string, string> = {}): Promise<Frame> {
  const r = `sub-${++receipts}`;
  send(c, 'SUBSCRIBE', { id: 's', destination, receipt: r, ...extra });
  return c.next('RECEIPT', (f) => getHeader(f.headers, 'receipt-id') === r);
}

/** Everything every client saw: (epoch, position) -> body, and the highest position per epoch. */
class Ledger {
  readonly bodies = new Map<string, string>();
  readonly highest = new Map<string, number>();
  readonly violations: string[] = [];

  see(epoch: string, position: number, text: string, where: string): void {
    const key = `${epoch}:${position}`;
    const before = this.bodies.get(key);
    if (before === undefined) this.bodies.set(key, text);
    else if (before !== text) this.violation(`${where}: position ${key} reused: was '${before}', now '${text}'`);
    if (position > (this.highest.get(epoch) ?? 0)) this.highest.set(epoch, position);
  }

  violation(msg: string): void {
    if (this.violations.length < 20) this.violations.push(msg);
  }

  /** A position some client saw, at random. */
  pick(r: () => number): [string, number] {
    const keys = [...this.bodies.keys()];
    const [e, p] = keys[between(r, 0, keys.length - 1)].split(':');
    return [e, Number(p)];
  }
}

/**
 * SUBSCRIBE resuming after `epoch:position`; checks the answer against the ledger
 * (rules 2 and 3): `expect` is what it must be, given whether a crash came between.
 * Returns the history's position from the RECEIPT.
 */
async function resumeAndCheck(c: Client, topic: string, epoch: string, position: number, expect: 'ok' | 'history-too-short', ledger: Ledger, where: string): Promise<number> {
  const receipt = await subscribeFor(c, topic, { 'stompbox-resume': `${epoch}:${position}` });
  const now = hdr(receipt, 'stompbox-epoch') as string;
  const last = Number(hdr(receipt, 'stompbox-position'));
  const answer = hdr(receipt, 'stompbox-resume') === 'ok' ? 'ok' : hdr(receipt, 'stompbox-reason');
  if (now !== epoch) ledger.violation(`${where}: the epoch changed, ${epoch} -> ${now} (answered ${answer})`);
  const highest = ledger.highest.get(epoch) ?? 0;
  if (last < highest) ledger.violation(`${where}: the history stands at ${last} under ${epoch}, but position ${highest} was seen`);
  if (answer !== expect) ledger.violation(`${where}: resume from ${position} (history at ${last}) answered ${answer}, expected ${expect}`);
  if (answer === 'ok') {
    const missed = await take(c, last - position);
    missed.forEach((f, i) => {
      if (pos(f) !== position + 1 + i || epochOf(f) !== epoch) ledger.violation(`${where}: replay ${i} is ${epochOf(f)}:${pos(f)}, expected ${epoch}:${position + 1 + i}`);
      ledger.see(epochOf(f), pos(f), body(f), `${where} replay`);
    });
  }
  return last;
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const messages = (c: Client) => c.frames.filter((f) => f.command === 'MESSAGE');

describe('topic history survives SIGKILL right after publishing', () => {
  it(`no position is reused, resumes answer truthfully, over ${ROUNDS} seeded crashes (seed ${SEED})`, async () => {
    const r = rng(SEED);
    const topic = `/topic/hist.${uniq('crash')}`;
    const ledger = new Ledger();
    const epochs = new Set<string>();
    let broker: SpawnedBroker | undefined;
    for (let round = 0; round <= ROUNDS; round++) {
      broker = await start();
      // Positions seen before the crash: what followed them may be lost.
      if (ledger.bodies.size > 0) {
        for (let k = 0; k < 2; k++) {
          const [e, p] = ledger.pick(r);
          const other = await client(broker);
          await resumeAndCheck(other, topic, e, p, 'history-too-short', ledger, `round ${round}, resume from ${e}:${p}`);
          other.close();
        }
      }
      const sub = await client(broker);
      const receipt = await subscribeFor(sub, topic);
      epochs.add(hdr(receipt, 'stompbox-epoch') as string);
      let last = Number(hdr(receipt, 'stompbox-position'));
      const highest = Math.max(0, ...ledger.highest.values());
      if (last < highest) ledger.violation(`round ${round}: restarted at position ${last}, but ${highest} was seen`);
      const from = last;
      if (round === ROUNDS) {
        // The issue's own check: after the last crash, 20 more go on after the reservation.
        const pub = await client(broker);
        await publish(pub, topic, Array.from({ length: 20 }, (_, i) => `after-${i}`));
        const after = await take(sub, 20);
        if (after.map(pos).join() !== Array.from({ length: 20 }, (_, i) => from + 1 + i).join()) ledger.violation(`after the last crash: positions ${after.map(pos)}`);
        for (const f of after) ledger.see(epochOf(f), pos(f), body(f), 'after the last crash');
        break;
      }
      // A burst written in a few pieces over several turns; once the subscriber has k of
      // it, in half the rounds a resume from one of them (within this process: ok), then
      // the kill at once,
      // so that some are delivered, some written but not delivered, some not yet read.
      const pub = await client(broker);
      const n = between(r, 20, 150);
      const k = between(r, 1, n);
      for (let i = 0; i < n; i++) {
        send(pub, 'SEND', { destination: topic }, `r${round}-${i}`);
        if (r() < 0.1) await turn();
      }
      const until = Date.now() + 5000;
      while (messages(sub).length < k && Date.now() < until) await turn();
      const early = messages(sub);
      if (early.length > 0 && r() < 0.5) {
        const f = early[between(r, 0, early.length - 1)];
        ledger.see(epochOf(f), pos(f), body(f), `round ${round} live`);
        const within = await client(broker);
        await resumeAndCheck(within, topic, epochOf(f), pos(f), 'ok', ledger, `round ${round}, resume within the process from ${pos(f)}`);
        within.close();
      }
      await broker.stop('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 20)); // frames already on their way in
      const live = sub.frames.splice(0).filter((x) => x.command === 'MESSAGE');
      if (process.env.CRASH_DEBUG) console.log(`round ${round}: ${n} sent, killed after ${k}, ${live.length} seen, from ${from}`);
      for (const f of live) {
        if (pos(f) !== last + 1) ledger.violation(`round ${round}: live position ${pos(f)} after ${last}`);
        last = pos(f);
        ledger.see(epochOf(f), pos(f), body(f), `round ${round} live`);
      }
    }
    assert.deepEqual(ledger.violations, [], `seed ${SEED}`);
    assert.equal(epochs.size, 1, `seed ${SEED}: the history's epoch changed (${[...epochs]})`);
  });

  it('the case from the issue: 100 read, SIGKILL at once, 20 more: same epoch, positions past 100, resume from 50 is history-too-short', async () => {
    const topic = `/topic/hist.${uniq('issue')}`;
    let broker = await start();
    const sub = await client(broker);
    const epoch = hdr(await subscribeFor(sub, topic), 'stompbox-epoch') as string;
    const pub = await client(broker);
    for (let i = 1; i <= 100; i++) send(pub, 'SEND', { destination: topic }, `m${i}`);
    const seen = await take(sub, 100);
    assert.deepEqual(seen.map(pos), Array.from({ length: 100 }, (_, i) => i + 1));
    await broker.stop('SIGKILL');
    broker = await start();
    const fresh = await client(broker);
    const receipt = await subscribeFor(fresh, topic);
    assert.equal(hdr(receipt, 'stompbox-epoch'), epoch);
    const at = Number(hdr(receipt, 'stompbox-position'));
    assert.ok(at >= 100, `restarted at ${at}`);
    const p2 = await client(broker);
    await publish(p2, topic, Array.from({ length: 20 }, (_, i) => `n${i + 1}`));
    assert.deepEqual((await take(fresh, 20)).map(pos), Array.from({ length: 20 }, (_, i) => at + 1 + i));
    const back = await client(broker);
    const resumed = await subscribeFor(back, topic, { 'stompbox-resume': `${epoch}:50` });
    assert.equal(hdr(resumed, 'stompbox-resume'), 'unavailable');
    assert.equal(hdr(resumed, 'stompbox-reason'), 'history-too-short');
    assert.equal(hdr(resumed, 'stompbox-epoch'), epoch);
    const caughtUp = await client(broker);
    assert.equal(hdr(await subscribeFor(caughtUp, topic, { 'stompbox-resume': `${epoch}:${at + 10}` }), 'stompbox-resume'), 'ok');
    assert.deepEqual((await take(caughtUp, 10)).map(body), Array.from({ length: 10 }, (_, i) => `n${i + 11}`));
  });
});
