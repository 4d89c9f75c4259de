/** The keep-alive sweep ([MQTT-3.1.2-24]), at times the test chooses (mqtt/keep-alive.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sweepKeepAlive, unwatchKeepAlive, watchKeepAlive, type KeepAlivePeer } from '../../src/mqtt/keep-alive.js';

function peer(limit: number): KeepAlivePeer & { expired: number[] } {
  const p = {
    keepAliveLimitMs: limit,
    readSince: false,
    lastRead: 0,
    expired: [] as number[],
    keepAliveExpired(silent: number) { p.expired.push(silent); },
  };
  watchKeepAlive(p);
  p.lastRead = 0; // the test's clock starts at 0
  return p;
}

describe('keep-alive sweep', () => {
  it('a peer silent for its limit is expired at the first sweep past it; one that reads is kept', () => {
    const [silent, talking] = [peer(1500), peer(1500)];
    sweepKeepAlive(1000);
    talking.readSince = true;
    sweepKeepAlive(2000);
    assert.deepEqual(silent.expired, [2000]);
    assert.deepEqual(talking.expired, []);
    unwatchKeepAlive(talking);
  });

  it('a sweep that comes late does not count its lateness as silence (the packets may be unread in the socket)', () => {
    const p = peer(1500);
    p.readSince = true;
    sweepKeepAlive(11_000); // read: lastRead = 11000
    sweepKeepAlive(14_000); // 2 s late: 3 s since the read, 1 s of it on time
    assert.deepEqual(p.expired, [], 'not expired for the time the broker was busy');
    sweepKeepAlive(15_000); // on time, still silent: 4 s, 2 s of it counted
    assert.deepEqual(p.expired, [4000]);
  });
});
