/**
 * Per-destination policies (`--destinations`, docs/destinations.md): a default for
 * `persistent`, a TTL, a length bound with its overflow policy (drop-head to the DLQ,
 * or reject-publish: the SEND is refused with an ERROR and nothing is lost from the
 * queue), first match wins.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bodies, dataDirBrokers, errorAndClose, hdr, publish, quiet, sleep, subscribe, take } from '../support/messaging.js';
import { runCli } from '../support/wire.js';

const POLICIES = JSON.stringify([
  { match: '/queue/pp.*', persistent: true },
  { match: '/queue/ttl', ttlMs: 300 },
  { match: '/queue/full', maxLength: 2, overflow: 'reject-publish' },
  { match: '/queue/dh', maxLength: 2 },
  { match: '#', persistent: false },
]);
const { start, client } = dataDirBrokers('stompbox-policies-', ['--destinations', POLICIES]);

describe('destination policies', () => {
  it('persistent: true by policy keeps a SEND without the header across a crash; the header still overrides', async () => {
    let broker = await start();
    const p = await client(broker);
    await publish(p, '/queue/pp.a', ['by-policy']);
    await publish(p, '/queue/pp.a', ['said-no'], { persistent: 'false' });
    await publish(p, '/queue/other', ['elsewhere']);
    await broker.stop('SIGKILL');
    broker = await start();
    const c = await client(broker);
    await subscribe(c, 's', '/queue/pp.a');
    assert.deepEqual(bodies(await take(c, 1)), ['by-policy']);
    await subscribe(c, 'o', '/queue/other');
    await quiet(c, 200);
  });

  it('ttlMs: a message older than the TTL is not delivered but dead-lettered as expired; a shorter own expiry wins', async () => {
    const broker = await start();
    const p = await client(broker);
    await publish(p, '/queue/ttl', ['old']);
    await sleep(450);
    await publish(p, '/queue/ttl', ['short'], { expiration: '50' });
    await publish(p, '/queue/ttl', ['fresh'], { expiration: '100000' });
    await sleep(120);
    const c = await client(broker);
    await subscribe(c, 's', '/queue/ttl');
    assert.deepEqual(bodies(await take(c, 1)), ['fresh']);
    await subscribe(c, 'dlq', '/queue/DLQ');
    const dead = await take(c, 2);
    assert.deepEqual(bodies(dead), ['old', 'short']);
    assert.deepEqual(dead.map((m) => hdr(m, 'x-death-reason')), ['expired', 'expired']);
  });

  it('overflow reject-publish: a SEND to a full queue gets an ERROR (with its receipt-id) and nothing already queued is lost', async () => {
    const broker = await start();
    const p = await client(broker);
    await publish(p, '/queue/full', ['f1', 'f2']);
    p.send('SEND', { destination: '/queue/full', receipt: 'third' }, 'f3');
    const err = await errorAndClose(p);
    assert.equal(hdr(err, 'code'), 'STOMPBOX_ERR_QUEUE_FULL');
    assert.equal(hdr(err, 'receipt-id'), 'third');
    assert.match(hdr(err, 'message') ?? '', /queue \/queue\/full is full \(2 messages\)/);
    const c = await client(broker);
    await subscribe(c, 's', '/queue/full');
    assert.deepEqual(bodies(await take(c, 2)), ['f1', 'f2']);
    await quiet(c, 200);
    // Drained: the queue accepts again.
    const p2 = await client(broker);
    await publish(p2, '/queue/full', ['f4']);
    assert.deepEqual(bodies(await take(c, 1)), ['f4']);
  });

  it('overflow drop-head (the default): the oldest goes to the DLQ with reason max-length', async () => {
    const broker = await start();
    const p = await client(broker);
    await publish(p, '/queue/dh', ['d1', 'd2', 'd3']);
    const c = await client(broker);
    await subscribe(c, 's', '/queue/dh');
    assert.deepEqual(bodies(await take(c, 2)), ['d2', 'd3']);
    await subscribe(c, 'dlq', '/queue/DLQ');
    const [dead] = await take(c, 1);
    assert.equal(hdr(dead, 'x-death-reason'), 'max-length');
    assert.equal(hdr(dead, 'x-original-destination'), '/queue/dh');
  });

  it('a policy list that is not valid is refused at start with the reason', async () => {
    for (const [value, why] of [
      ['[{"match": "/queue/a", "ttl": 5}]', /entry 0 has unknown key "ttl"/],
      ['[{"persistent": true}]', /entry 0 needs a "match" pattern/],
      ['[{"match": "/queue/a", "overflow": "block"}]', /entry 0 has an invalid overflow: "block"/],
      ['{nope', /not valid JSON/],
    ] as const) {
      const r = await runCli(['--destinations', value, '--stomp-port', '0', '--http-port', '-1']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, why);
    }
  });
});
