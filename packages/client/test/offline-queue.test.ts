/** The offline queue: order, the bound and its two policies, replay after a lost connection. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OfflineQueue, type QueueEntry } from '../src/offline-queue.js';
import { StompboxClientError } from '../src/errors.js';

function entry(name: string, log: string[]): QueueEntry {
  return {
    frames_: [['SEND', ['destination', name]]],
    receipt_: true,
    sent_: false,
    resolve: () => log.push(`ok ${name}`),
    reject: (e) => log.push(`${(e as StompboxClientError).code} ${name}`),
  };
}

test("policy 'reject': at the bound the new entry is refused with STOMPBOX_CLIENT_ERR_QUEUE_FULL", () => {
  const log: string[] = [];
  const q = new OfflineQueue(2, 'reject');
  assert.equal(q.push_(entry('a', log)), true);
  assert.equal(q.push_(entry('b', log)), true);
  assert.equal(q.push_(entry('c', log)), false);
  assert.deepEqual(log, ['STOMPBOX_CLIENT_ERR_QUEUE_FULL c']);
  assert.deepEqual(q.unsent_().map((e) => e.frames_[0][1][1]), ['a', 'b']);
});

test("policy 'drop-oldest': the oldest unsent entry is dropped (its promise rejects), never one in flight", () => {
  const log: string[] = [];
  const q = new OfflineQueue(2, 'drop-oldest');
  const a = entry('a', log);
  q.push_(a);
  a.sent_ = true; // written, waiting for its RECEIPT
  q.push_(entry('b', log));
  q.push_(entry('c', log));
  assert.deepEqual(log, ['STOMPBOX_CLIENT_ERR_QUEUE_FULL b']);
  assert.deepEqual(q.entries_.map((e) => e.frames_[0][1][1]), ['a', 'c']);
});

test('a lost connection puts written-but-unconfirmed entries back, in their first order', () => {
  const log: string[] = [];
  const q = new OfflineQueue();
  const es = ['a', 'b', 'c'].map((n) => entry(n, log));
  for (const e of es) q.push_(e);
  es[0].sent_ = es[1].sent_ = true;
  q.done_(es[0]);
  q.connectionLost_();
  assert.deepEqual(q.unsent_().map((e) => e.frames_[0][1][1]), ['b', 'c']);
  assert.deepEqual(log, ['ok a']);
  q.rejectAll_(new StompboxClientError('STOMPBOX_CLIENT_ERR_DISCONNECTED', 'bye'));
  assert.deepEqual(log, ['ok a', 'STOMPBOX_CLIENT_ERR_DISCONNECTED b', 'STOMPBOX_CLIENT_ERR_DISCONNECTED c']);
  assert.equal(q.entries_.length, 0);
});

test('settled_() resolves once the queue is empty, or at once when the connection is lost (disconnect() stops waiting)', async () => {
  const log: string[] = [];
  const q = new OfflineQueue();
  const a = entry('a', log);
  q.push_(a);
  let settled = 0;
  void q.settled_().then(() => settled++);
  await Promise.resolve();
  assert.equal(settled, 0, 'a is not confirmed yet');
  q.connectionLost_();
  await Promise.resolve();
  assert.equal(settled, 1, 'nothing more will be confirmed on this connection');
  void q.settled_().then(() => settled++);
  q.done_(a);
  await Promise.resolve();
  assert.equal(settled, 2);
  assert.deepEqual(log, ['ok a']);
});
