/**
 * STOMP 1.1 §"Heart-beating" with wall-clock judgement: a fake clock drives the
 * ticks. Silence while awake kills after twice the interval; a tick that comes far too
 * late (a throttled background tab, a hidden mini-program) judges nothing and beats.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heartbeat, type Clock } from '../src/heartbeat.js';
import { negotiate } from '../src/heartbeat.js';

function fakeClock() {
  let t = 1_000_000;
  let tick: (() => void) | undefined;
  let period = 0;
  /** When the interval fires next, as a real one does: in phase with when it was set. */
  let next = 0;
  const clock: Clock & { advance(ms: number, ticks?: boolean): void; period(): number } = {
    now: () => t,
    setInterval: (f, ms) => ((tick = f), (period = ms), (next = t + ms), 1),
    clearInterval: () => (tick = undefined),
    /** Moves time on; with `ticks`, the interval fires on time all along, else once at the end (asleep). */
    advance(ms, ticks = true) {
      const end = t + ms;
      if (!ticks) {
        t = end;
        next = end + period;
        tick?.();
        return;
      }
      while (next <= end) {
        t = next;
        next += period;
        tick?.();
      }
      t = end;
    },
    period: () => period,
  };
  return clock;
}

test('STOMP 1.1 negotiation: max of what one side offers and the other wants, 0 wins', () => {
  assert.deepEqual(negotiate([10000, 10000], '5000,20000'), [20000, 10000]);
  assert.deepEqual(negotiate([0, 10000], '5000,20000'), [0, 10000]);
  assert.deepEqual(negotiate([10000, 10000], '0,0'), [0, 0]);
  assert.deepEqual(negotiate([100, 100], undefined), [0, 0]);
});

test('beats go out when nothing was sent for the interval; frames sent count as beats', () => {
  const clock = fakeClock();
  let beats = 0;
  const hb = heartbeat(1000, 0, () => beats++, () => assert.fail('not dead'), clock);
  clock.advance(1000);
  assert.equal(beats, 1);
  for (let i = 0; i < 4; i++) {
    clock.advance(400);
    hb.sent_();
  }
  assert.equal(beats, 1, 'frames sent every 400 ms: no beat needed');
  clock.advance(2000);
  assert.equal(beats, 3);
  hb.stop_();
});

test('silence for more than twice the interval while awake closes the connection', () => {
  const clock = fakeClock();
  const dead: number[] = [];
  const hb = heartbeat(0, 1000, () => undefined, (ms) => dead.push(ms), clock);
  clock.advance(1500);
  hb.received_();
  clock.advance(1900);
  assert.deepEqual(dead, [], 'within 2 x 1000 ms of the last byte');
  clock.advance(600); // the first tick past 2 x 1000 ms
  assert.equal(dead.length, 1);
  assert.ok(dead[0] > 2000);
  hb.stop_();
});

test('a tick that comes a minute late (timers throttled or frozen) judges nothing, beats at once, and judges later silence again', () => {
  const clock = fakeClock();
  const dead: number[] = [];
  let beats = 0;
  const hb = heartbeat(1000, 1000, () => beats++, (ms) => dead.push(ms), clock);
  clock.advance(600);
  hb.received_();
  const before = beats;
  clock.advance(60_000, false); // one tick, a minute later: the page was asleep
  assert.deepEqual(dead, [], 'a healthy connection is not killed on waking');
  assert.equal(beats, before + 1, 'a beat goes out on waking');
  // The socket delivers what it held: the connection is alive.
  hb.received_();
  clock.advance(1500);
  assert.deepEqual(dead, []);
  // Then real silence, while awake, is judged as usual.
  clock.advance(1000);
  assert.equal(dead.length, 1);
  hb.stop_();
});

test('a tick that runs a few hundred ms late (a busy thread) does not count its lateness as silence', () => {
  const clock = fakeClock();
  const dead: number[] = [];
  const hb = heartbeat(0, 100, () => undefined, (ms) => dead.push(ms), clock);
  hb.received_();
  clock.advance(100); // ticks every 50 ms, on time
  clock.advance(300, false); // one tick 250 ms late: the beats sent meanwhile are not read yet
  assert.deepEqual(dead, [], 'judged before the reads it delayed');
  hb.received_(); // they are read now
  clock.advance(150);
  assert.deepEqual(dead, []);
  clock.advance(250); // real silence, ticks on time: judged at the first tick past 2 x 100 ms
  assert.equal(dead[0], 250);
  hb.stop_();
});
