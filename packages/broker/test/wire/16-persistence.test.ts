/**
 * Persistent messages in the embedded store (LMDB under --data-dir): a SEND with
 * `persistent:true` is kept across a crash of the broker (SIGKILL) once its RECEIPT
 * arrived, in order; what was acked is not delivered again; a transient message is not kept.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnBroker, type SpawnedBroker } from '../support/spawn-broker.js';
import { bodies, hdr, open, quiet, rt, sleep, subscribe, take, uniq } from '../support/messaging.js';

const dataDir = mkdtempSync(join(tmpdir(), 'stompbox-persist-'));
const started: SpawnedBroker[] = [];

async function start(): Promise<SpawnedBroker> {
  const b = await spawnBroker(['--data-dir', dataDir]);
  started.push(b);
  return b;
}

afterEach(async () => {
  // Every test leaves no broker behind (the data directory is locked by a running one).
  for (const b of started.splice(0)) await b.stop('SIGKILL');
});
after(async () => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('persistent queue messages survive a crash', () => {
  it('every message whose RECEIPT arrived is delivered after SIGKILL and restart, in order; acked ones are not', async () => {
    const q = `/queue/${uniq('persist')}`;
    let broker = await start();
    const p = await open(broker.stompPort);
    for (let i = 0; i < 20; i++) await rt(p, 'SEND', { destination: q, persistent: 'true' }, `p${i}`);
    await rt(p, 'SEND', { destination: q }, 'transient');
    // Consume and ack the first five before the crash.
    const c = await open(broker.stompPort);
    await subscribe(c, 's', q, { ack: 'client-individual', 'prefetch-count': '5' });
    const first = await take(c, 5);
    for (const m of first) await rt(c, 'ACK', { id: m.headers[m.headers.indexOf('ack') + 1] });
    assert.deepEqual(bodies(first), ['p0', 'p1', 'p2', 'p3', 'p4']);
    await broker.stop('SIGKILL');

    broker = await start();
    const c2 = await open(broker.stompPort);
    await subscribe(c2, 's', q);
    const got = await take(c2, 15);
    assert.deepEqual(bodies(got), Array.from({ length: 15 }, (_, i) => `p${i + 5}`));
    await quiet(c2, 300);
    c2.close();
    await broker.stop('SIGKILL');
  });
});

describe('after a crash, delivery state and the data directory', () => {
  it('a persistent message that was out with a consumer comes back redelivered:true', async () => {
    const q = `/queue/${uniq('redeliver')}`;
    let broker = await start();
    const p = await open(broker.stompPort);
    await rt(p, 'SEND', { destination: q, persistent: 'true' }, 'out');
    const c = await open(broker.stompPort);
    await subscribe(c, 's', q, { ack: 'client' });
    const [m] = await take(c, 1);
    assert.equal(hdr(m, 'redelivered'), undefined);
    // Nothing tells a client when a delivery count is on disk (no frame waits for it):
    // give the group commit (one fsync, a few ms) ample time before the crash.
    await sleep(300);
    await broker.stop('SIGKILL');
    broker = await start();
    const c2 = await open(broker.stompPort);
    await subscribe(c2, 's', q);
    const [again] = await take(c2, 1);
    assert.equal(Buffer.from(again.body).toString(), 'out');
    assert.equal(hdr(again, 'redelivered'), 'true');
    await broker.stop('SIGKILL');
  });

  it('a second broker on the same data directory is refused with a clear message', async () => {
    const broker = await start();
    await assert.rejects(spawnBroker(['--data-dir', dataDir]), /data directory .* is in use by another Stompbox \(pid \d+\)/);
    await broker.stop();
  });
});
