/** The offline queue: order, the bound and its two policies, replay after a lost connection. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OfflineQueue, type QueueEntry } from '../src/offline-queue.js';
import { StompboxClientError } from '../src/errors.js';

function entry(name: string, log: string[]): QueueEntry {
  return {
    frames: [['SEND', ['destination', name]]],
    receipt: true,
    sent: false,
    resolve: () => log.push(`ok ${name}`),
    reject: (e) => log.push(`${(e as StompboxClientError).code} ${name}`),
  };
}

test("policy 'reject': at the bound the new entry is refused with STOMPBOX_CLIENT_ERR_QUEUE_FULL", () => {
  const log: string[] = [];
  const q = new OfflineQueue(2, 'reject');
  assert.equal(q.push(entry('a', log)), true);
  assert.equal(q.push(entry('b', log)), true);
  assert.equal(q.push(entry('c', log)), false);
  assert.deepEqual(log, ['STOMPBOX_CLIENT_ERR_QUEUE_FULL c']);
  assert.deepEqual(q.unsent().map((e) => e.frames[0][1][1]), ['a', 'b']);
});

test("policy 'drop-oldest': the oldest unsent entry is dropped (its promise rejects), never one in flight", () => {
  const log: string[] = [];
  const q = new OfflineQueue(2, 'drop-oldest');
  const a = entry('a', log);
  q.push(a);
  a.sent = true; // written, waiting for its RECEIPT
  q.push(entry('b', log));
  q.push(entry('c', log));
  assert.deepEqual(log, ['STOMPBOX_CLIENT_ERR_QUEUE_FULL b']);
  assert.deepEqual(q.entries.map((e) => e.frames[0][1][1]), ['a', 'c']);
});

test('a lost connection puts written-but-unconfirmed entries back, in their first order', () => {
  const log: string[] = [];
  const q = new OfflineQueue();
  const es = ['a', 'b', 'c'].map((n) => entry(n, log));
  for (const e of es) q.push(e);
  es[0].sent = es[1].sent = true;
  q.done(es[0]);
  q.connectionLost();
  assert.deepEqual(q.unsent().map((e) => e.frames[0][1][1]), ['b', 'c']);
  assert.deepEqual(log, ['ok a']);
  q.rejectAll(new StompboxClientError('STOMPBOX_CLIENT_ERR_DISCONNECTED', 'bye'));
  assert.deepEqual(log, ['ok a', 'STOMPBOX_CLIENT_ERR_DISCONNECTED b', 'STOMPBOX_CLIENT_ERR_DISCONNECTED c']);
  assert.equal(q.length, 0);
});
