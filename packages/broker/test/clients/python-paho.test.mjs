// Debian's python3-paho-mqtt (paho 1.6, run by /usr/bin/python3) against the started
// `stompbox` CLI: MQTT 3.1.1 over TCP and WebSocket (/mqtt) with QoS 0/1/2, a kept
// session that collects messages while its client is away and hands them over in
// order, and MQTT 5 with properties and a subscription identifier. The Python clients
// are inline scripts that print one JSON document; the assertions are made here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnBroker } from '../../dist/test/support/spawn-broker.js';
import { python } from './helpers.mjs';

let broker;
before(async () => {
  broker = await spawnBroker();
});
after(async () => {
  await broker?.stop();
});

// A client that records messages and waits on events with deadlines.
const PRELUDE = String.raw`
import json, queue, sys, time
import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes

def make(client_id, version=mqtt.MQTTv311, transport='tcp', clean=True):
    kw = dict(client_id=client_id, protocol=version, transport=transport)
    if version != mqtt.MQTTv5: kw['clean_session'] = clean
    c = mqtt.Client(**kw)
    c.msgs = queue.Queue()
    c.acks = queue.Queue()
    c.on_message = lambda cl, u, m: c.msgs.put(m)
    c.on_connect = lambda cl, u, f, rc, props=None: c.acks.put(('connack', f, rc))
    c.on_subscribe = lambda cl, u, mid, granted, props=None: c.acks.put(('suback', mid, granted))
    c.on_publish = lambda cl, u, mid: c.acks.put(('puback', mid))
    return c

def connect(c, host, port, **kw):
    c.connect(host, port, keepalive=30, **kw)
    c.loop_start()
    kind, flags, rc = get(c.acks)
    assert kind == 'connack', kind
    return flags, rc

def get(q, timeout=5):
    return q.get(timeout=timeout)

def take(c, n, timeout=5):
    out = []
    deadline = time.time() + timeout
    while len(out) < n:
        out.append(c.msgs.get(timeout=max(0.01, deadline - time.time())))
    return out

def publish_all(c, items):
    for topic, payload, qos in items:
        info = c.publish(topic, payload, qos=qos)
        info.wait_for_publish(5)
`;

test('paho 3.1.1 over TCP and WebSocket: QoS 0, 1 and 2 both ways', async () => {
  const script = PRELUDE + String.raw`
port, ws_port, topic = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
result = {}
for transport, p in (('tcp', port), ('websockets', ws_port)):
    sub = make(topic + '-sub-' + transport, transport=transport)
    if transport == 'websockets': sub.ws_set_options(path='/mqtt')
    connect(sub, '127.0.0.1', p)
    sub.subscribe(topic + '/' + transport + '/#', qos=2)
    get(sub.acks)
    pub = make(topic + '-pub-' + transport, transport=transport)
    if transport == 'websockets': pub.ws_set_options(path='/mqtt')
    connect(pub, '127.0.0.1', p)
    publish_all(pub, [(topic + '/' + transport + '/q%d' % q, 'payload %d' % q, q) for q in (0, 1, 2)])
    got = take(sub, 3)
    result[transport] = sorted([[m.topic, m.payload.decode(), m.qos] for m in got])
    sub.disconnect(); pub.disconnect(); sub.loop_stop(); pub.loop_stop()
print(json.dumps(result))
`;
  const t = `paho${process.pid}`;
  const r = await python(script, [broker.mqttPort, broker.httpPort, t]);
  for (const transport of ['tcp', 'websockets']) {
    assert.deepEqual(r[transport], [0, 1, 2].map((q) => [`${t}/${transport}/q${q}`, `payload ${q}`, q]));
  }
});

test('paho 3.1.1: a clean_session=False subscriber away for N messages gets all N once, in order, then live ones', async () => {
  const script = PRELUDE + String.raw`
port, topic = int(sys.argv[1]), sys.argv[2]
sub = make(topic + '-away', clean=False)
connect(sub, '127.0.0.1', port)
sub.subscribe(topic, qos=1)
get(sub.acks)
sub.disconnect(); sub.loop_stop()
pub = make(topic + '-pub')
connect(pub, '127.0.0.1', port)
publish_all(pub, [(topic, 'away %d' % i, 1) for i in range(1, 21)])
sub = make(topic + '-away', clean=False)
flags, rc = connect(sub, '127.0.0.1', port)
publish_all(pub, [(topic, 'live', 1)])
got = take(sub, 21)
time.sleep(0.3)
extra = sub.msgs.qsize()
print(json.dumps({'session_present': flags.get('session present'), 'rc': rc, 'got': [m.payload.decode() for m in got], 'extra': extra}))
`;
  const t = `pahoaway${process.pid}`;
  const r = await python(script, [broker.mqttPort, t]);
  assert.equal(r.rc, 0);
  assert.equal(r.session_present, 1);
  assert.deepEqual(r.got, [...Array.from({ length: 20 }, (_, i) => `away ${i + 1}`), 'live']);
  assert.equal(r.extra, 0, 'each once');
});

test('paho MQTT 5: user properties, response topic, correlation data and a subscription identifier', async () => {
  const script = PRELUDE + String.raw`
port, topic = int(sys.argv[1]), sys.argv[2]
sub = make(topic + '-sub5', version=mqtt.MQTTv5)
connect(sub, '127.0.0.1', port)
sp = Properties(PacketTypes.SUBSCRIBE)
sp.SubscriptionIdentifier = 42
sub.subscribe(topic + '/+', qos=1, properties=sp)
get(sub.acks)
pub = make(topic + '-pub5', version=mqtt.MQTTv5)
connect(pub, '127.0.0.1', port)
pp = Properties(PacketTypes.PUBLISH)
pp.UserProperty = [('k', 'v1'), ('k', 'v2'), ('other', 'x')]
pp.ResponseTopic = topic + '/reply'
pp.CorrelationData = b'\x00\x01corr'
pp.ContentType = 'text/plain'
pub.publish(topic + '/a', 'hello 5', qos=1, properties=pp).wait_for_publish(5)
m = take(sub, 1)[0]
props = m.properties
print(json.dumps({
  'topic': m.topic, 'payload': m.payload.decode(), 'qos': m.qos,
  'user': [list(x) for x in props.UserProperty],
  'response': props.ResponseTopic,
  'corr': props.CorrelationData.hex(),
  'ctype': props.ContentType,
  'subid': props.SubscriptionIdentifier,
}))
`;
  const t = `paho5${process.pid}`;
  const r = await python(script, [broker.mqttPort, t]);
  assert.equal(r.topic, `${t}/a`);
  assert.equal(r.payload, 'hello 5');
  assert.equal(r.qos, 1);
  assert.deepEqual(r.user, [['k', 'v1'], ['k', 'v2'], ['other', 'x']], '[MQTT-3.3.2-18] user properties in order');
  assert.equal(r.response, `${t}/reply`);
  assert.equal(r.corr, '0001636f7272');
  assert.equal(r.ctype, 'text/plain');
  assert.deepEqual(r.subid, [42]);
});
