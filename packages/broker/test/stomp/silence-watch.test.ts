/**
 * The receive side of STOMP heart-beating (src/stomp/heartbeat.ts): a client is dead
 * after `limit` ms without a byte, judged at looks every limit/4 ms; a look that runs
 * late because the event loop was busy does not count its lateness as silence (the
 * beats are still unread: timers run before pending reads).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SilenceWatch } from '../../src/stomp/heartbeat.js';

test('silence of the limit, with looks on time, is death; any byte read resets it', () => {
  const w = new SilenceWatch(150, 0);
  assert.equal(w.every, 38);
  assert.equal(w.look(38, false), undefined);
  assert.equal(w.look(76, true), undefined, 'read: alive');
  assert.equal(w.look(114, false), undefined);
  assert.equal(w.look(152, false), undefined);
  assert.equal(w.look(190, false), undefined, '114 ms since the read');
  assert.equal(w.look(228, false), 152, 'past 150 ms since the read');
});

test('a look 500 ms late (a blocked event loop) is not a death sentence: the next one, after the reads, decides', () => {
  const w = new SilenceWatch(150, 0);
  assert.equal(w.look(38, true), undefined);
  // The loop was busy from ~40 ms to 576 ms; the client beat all along, unread.
  assert.equal(w.look(576, false), undefined, 'lateness is not silence');
  assert.equal(w.look(614, true), undefined, 'the beats are read now');
  // A client that really went quiet during the stall is judged once looks are on time again.
  const q = new SilenceWatch(150, 0);
  assert.equal(q.look(38, true), undefined);
  assert.equal(q.look(576, false), undefined);
  assert.equal(q.look(614, false), 576, 'on time again and still nothing');
});
