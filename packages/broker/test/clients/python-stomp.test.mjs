// Debian's python3-stomp (stomp.py 8, run by /usr/bin/python3) against the started
// `stompbox` CLI: STOMP 1.2 and 1.1 sessions that send to a queue, subscribe with
// ack:client-individual, receive, ack, with receipts all along, and disconnect; and a
// Python publisher feeding a stompjs (2.3.3) subscriber. The Python clients are inline
// scripts that print one JSON document; the assertions are made here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawnBroker } from '../../dist/test/support/spawn-broker.js';
import { inbox, python, unique, within } from './helpers.mjs';

const require = createRequire(import.meta.url);
const Stomp = require('stompjs');
let broker;
before(async () => {
  broker = await spawnBroker();
});
after(async () => {
  await broker?.stop();
});

// Shared prelude: a listener that puts every frame on a per-kind queue, and waiting helpers
// that fail loudly on an ERROR frame or a timeout.
const PRELUDE = String.raw`
import json, queue, sys, time
import stomp

class Recorder(stomp.ConnectionListener):
    def __init__(self):
        self.q = {k: queue.Queue() for k in ('connected', 'message', 'receipt', 'error', 'disconnected')}
    def on_connected(self, frame): self.q['connected'].put(frame)
    def on_message(self, frame): self.q['message'].put(frame)
    def on_receipt(self, frame): self.q['receipt'].put(frame)
    def on_error(self, frame): self.q['error'].put(frame)
    def on_disconnected(self): self.q['disconnected'].put(True)
    def get(self, kind, timeout=5):
        deadline = time.time() + timeout
        while True:
            if not self.q['error'].empty():
                f = self.q['error'].get()
                raise SystemExit('ERROR frame: %r %r' % (f.headers, f.body))
            try:
                return self.q[kind].get(timeout=0.05)
            except queue.Empty:
                if time.time() > deadline:
                    raise SystemExit('timed out waiting for %s' % kind)
    def receipt(self, rid):
        f = self.get('receipt')
        if f.headers.get('receipt-id') != rid:
            raise SystemExit('expected receipt %s, got %r' % (rid, f.headers))
        return f
    def nothing(self, kind, wait=0.3):
        time.sleep(wait)
        return self.q[kind].empty()

def connect(port, version):
    cls = stomp.Connection12 if version == '1.2' else stomp.Connection11
    conn = cls([('127.0.0.1', port)], heartbeats=(0, 0), vhost='/')
    rec = Recorder()
    conn.set_listener('rec', rec)
    conn.connect(wait=True)
    return conn, rec, dict(rec.get('connected').headers)

def ack(conn, version, m, **kw):
    if version == '1.2':
        conn.ack(m.headers['ack'], **kw)
    else:
        conn.ack(m.headers['message-id'], m.headers['subscription'], **kw)

def bye(conn, rec, rid):
    conn.disconnect(receipt=rid)
    rec.receipt(rid)
    rec.get('disconnected')
`;

const ROUND_TRIP = PRELUDE + String.raw`
port, version, dest = int(sys.argv[1]), sys.argv[2], sys.argv[3]
out = {}
conn, rec, out['connected'] = connect(port, version)
out['is_connected'] = conn.is_connected()
special = 'a:b\\x\ny'
for i, body in enumerate(['one', 'two', 'three']):
    conn.send(dest, body, content_type='text/plain', headers={'receipt': 'send-%d' % i, 'seq': str(i), 'x-special': special})
    rec.receipt('send-%d' % i)
conn.subscribe(dest, id='py-sub', ack='client-individual', headers={'receipt': 'sub-1'})
rec.receipt('sub-1')
msgs = [rec.get('message') for _ in range(3)]
out['first'] = [{'body': m.body, 'headers': dict(m.headers)} for m in msgs]
out['special_ok'] = all(m.headers.get('x-special') == special for m in msgs)
# client-individual: acking 'three' does not ack 'two'
for m in (msgs[0], msgs[2]):
    rid = 'ack-' + m.body
    ack(conn, version, m, receipt=rid)
    rec.receipt(rid)
out['nothing_more'] = rec.nothing('message')
bye(conn, rec, 'bye-1')
out['after_disconnect_connected'] = conn.is_connected()

# A new session gets only the unacked message, marked redelivered; acking it empties the queue.
conn, rec, _ = connect(port, version)
conn.subscribe(dest, id='py-sub-2', ack='client-individual', headers={'receipt': 'sub-2'})
rec.receipt('sub-2')
m = rec.get('message')
out['second'] = {'body': m.body, 'headers': dict(m.headers)}
ack(conn, version, m, receipt='ack-again')
rec.receipt('ack-again')
out['second_nothing_more'] = rec.nothing('message')
conn.unsubscribe('py-sub-2', headers={'receipt': 'unsub-2'})
rec.receipt('unsub-2')
bye(conn, rec, 'bye-2')

conn, rec, _ = connect(port, version)
conn.subscribe(dest, id='py-sub-3', ack='auto')
out['queue_empty'] = rec.nothing('message', 0.4)
bye(conn, rec, 'bye-3')
print(json.dumps(out))
`;

const PUBLISHER = PRELUDE + String.raw`
port, dest, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conn, rec, connected = connect(port, '1.2')
for i in range(n):
    body = json.dumps({'n': i, 'text': 'héllo wörld ✓ %d' % i}, ensure_ascii=False)
    conn.send(dest, body, content_type='application/json', headers={'receipt': 'p-%d' % i, 'serial': str(i), 'origin': 'python'})
    rec.receipt('p-%d' % i)
bye(conn, rec, 'bye')
print(json.dumps({'sent': n, 'version': connected.get('version')}))
`;

for (const version of ['1.2', '1.1']) {
  test(`stomp.py Connection${version.replace('.', '')}: send with receipts, subscribe client-individual, receive, ack, disconnect`, async () => {
    const dest = `/queue/${unique(`py${version}`)}`;
    const out = await python(ROUND_TRIP, [broker.stompPort, version, dest]);
    assert.equal(out.connected.version, version);
    assert.match(out.connected.server, /^Stompbox\//);
    assert.equal(out.is_connected, true);
    assert.deepEqual(out.first.map((m) => m.body), ['one', 'two', 'three']);
    for (const [i, m] of out.first.entries()) {
      assert.equal(m.headers.destination, dest);
      assert.equal(m.headers.subscription, 'py-sub');
      assert.equal(m.headers.seq, String(i));
      assert.equal(m.headers['content-type'], 'text/plain');
      assert.ok(m.headers['message-id']);
      if (version === '1.2') assert.ok(m.headers.ack, 'STOMP 1.2 MESSAGE in client-individual mode carries ack');
    }
    assert.equal(out.special_ok, true, 'header escaping round trip (colon, backslash, LF)');
    assert.equal(out.nothing_more, true);
    assert.equal(out.after_disconnect_connected, false);
    assert.equal(out.second.body, 'two');
    assert.equal(out.second.headers['message-id'], out.first[1].headers['message-id']);
    assert.equal(out.second.headers.redelivered, 'true');
    assert.equal(out.second_nothing_more, true);
    assert.equal(out.queue_empty, true);
  });
}

test('python publisher -> stompjs subscriber (cross-client, UTF-8 JSON bodies, in order)', async () => {
  const dest = `/queue/${unique('cross')}`;
  const client = Stomp.overWS(broker.wsUrl);
  client.debug = () => undefined;
  await within(new Promise((resolve, reject) => client.connect({}, resolve, reject)), 5000, 'stompjs CONNECTED');
  const box = inbox();
  client.subscribe(dest, box.cb);
  const n = 20;
  try {
    const out = await python(PUBLISHER, [broker.stompPort, dest, n]);
    assert.deepEqual(out, { sent: n, version: '1.2' });
    const got = await box.take(n, 5000);
    for (const [i, m] of got.entries()) {
      assert.deepEqual(JSON.parse(m.body), { n: i, text: `héllo wörld ✓ ${i}` });
      assert.equal(m.headers.serial, String(i));
      assert.equal(m.headers.origin, 'python');
      assert.equal(m.headers['content-type'], 'application/json');
      assert.equal(m.headers.destination, dest);
    }
    await box.none(200);
  } finally {
    client.disconnect();
  }
});
