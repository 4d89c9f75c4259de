// Differential tests: the same scripted MQTT sessions, packet by packet, against Mosquitto
// 2.0 (Debian's /usr/sbin/mosquitto, started here on a free loopback port) and against
// Stompbox, compared packet by packet: type, return/reason codes, session present,
// granted QoS, topic, payload, QoS/retain/dup, MQTT 5 properties, and whether each
// connection is closed after each step. MQTT 3.1.1 and MQTT 5.
//
// Where the two differ on purpose, the difference is a named entry of DIFFERENCES below,
// with the reason and which side the MQTT specification supports: it rewrites Mosquitto's
// transcript into what Stompbox answers instead, and the comparison is made after it. An
// entry that no longer changes anything fails the suite, so the table cannot go stale.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import mqtt from 'mqtt-packet';
import { spawnBroker } from '../../dist/test/support/spawn-broker.js';
import { mosquittoMissing, startMosquitto } from './mosquitto.mjs';
import { play } from './mqtt-script.mjs';

const missing = mosquittoMissing();

const V = { '3.1.1': 4, 5: 5 };

/** A CONNECT packet. */
function connect(v, clientId, extra = {}) {
  return { cmd: 'connect', protocolId: 'MQTT', protocolVersion: v, clientId, clean: true, keepalive: 0, ...extra };
}
const sub = (messageId, subscriptions, properties) => ({ cmd: 'subscribe', messageId, subscriptions, ...(properties ? { properties } : {}) });
const pub = (topic, payload, extra = {}) => ({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false, ...extra });
const last = (rx, cmd) => [...rx].reverse().find((p) => p.cmd === cmd);
/** Answers the last PUBLISH (QoS 1: PUBACK, QoS 2: PUBREC) or PUBREC (PUBREL) or PUBREL (PUBCOMP). */
const answer = (cmd, of) => (rx) => ({ cmd, messageId: last(rx, of)?.messageId ?? 1 }); // 1 when nothing came to answer

/** Raw CONNECT bytes: generated, then patched (protocol level at 8, flags at 9; short packets only). */
function rawConnect(v, clientId, patch) {
  const b = Buffer.from(mqtt.generate(connect(v, clientId), { protocolVersion: v }));
  patch(b);
  return b;
}

/** Each case: connection `a` opened and connected first (client id `<prefix>-a`). */
function session(v, id, ...steps) {
  return [['open', 'a'], ['packet', 'a', connect(v, `${id}-a`)], ...steps];
}
/** A second connection `name`, connected. */
const join = (v, id, name, extra) => [['open', name], ['packet', name, connect(v, `${id}-${name}`, extra)]];

function casesFor(ver) {
  const v = V[ver];
  const id = (s) => `d${v}-${s}`;
  const t = (s) => `diff/${v}/${s}`;
  const five = v === 5;
  const cases = {
    // --- CONNECT / CONNACK
    'CONNECT and CONNACK': session(v, id('conn')),
    'clean session 0 with an empty client id': [['open', 'a'], ['raw', 'a', rawConnect(v, '', (b) => (b[9] &= ~0x02))]],
    'empty client id with clean session 1': [['open', 'a'], ['packet', 'a', connect(v, '')]],
    'a second CONNECT': session(v, id('second'), ['packet', 'a', connect(v, id('second-again'))]),
    'PINGREQ and PINGRESP': session(v, id('ping'), ['packet', 'a', { cmd: 'pingreq' }]),
    'a persistent session resumed': [
      ['open', 'a'], ['packet', 'a', connect(v, id('persist'), five ? { clean: false, properties: { sessionExpiryInterval: 60 } } : { clean: false })],
      ['packet', 'a', sub(1, [{ topic: t('persist'), qos: 1 }])],
      ['close', 'a'],
      ...join(v, id('persist'), 'b'),
      ['packet', 'b', pub(t('persist'), 'while away', { qos: 1, messageId: 7 })],
      ['open', 'c'], ['packet', 'c', connect(v, id('persist-a'), five ? { clean: false, properties: { sessionExpiryInterval: 0 } } : { clean: false })],
      ['packet', 'c', answer('puback', 'publish')],
    ],
    // --- PUBLISH both directions
    'PUBLISH QoS 0, 1, 2 to a QoS 2 subscriber': session(v, id('qos'),
      ['packet', 'a', sub(1, [{ topic: t('qos'), qos: 2 }])],
      ...join(v, id('qos'), 'b'),
      ['packet', 'b', pub(t('qos'), 'q0')],
      ['packet', 'b', pub(t('qos'), 'q1', { qos: 1, messageId: 11 })],
      ['packet', 'a', answer('puback', 'publish')],
      ['packet', 'b', pub(t('qos'), 'q2', { qos: 2, messageId: 12 })],
      ['packet', 'b', { cmd: 'pubrel', messageId: 12 }],
      ['packet', 'a', answer('pubrec', 'publish')],
      ['packet', 'a', answer('pubcomp', 'pubrel')]),
    'QoS downgraded to the subscription': session(v, id('down'),
      ['packet', 'a', sub(1, [{ topic: t('down0'), qos: 0 }, { topic: t('down1'), qos: 1 }])],
      ...join(v, id('down'), 'b'),
      ['packet', 'b', pub(t('down0'), 'two to zero', { qos: 2, messageId: 1 })],
      ['packet', 'b', { cmd: 'pubrel', messageId: 1 }],
      ['packet', 'b', pub(t('down1'), 'two to one', { qos: 2, messageId: 2 })],
      ['packet', 'b', { cmd: 'pubrel', messageId: 2 }],
      ['packet', 'a', answer('puback', 'publish')]),
    'QoS 2 redelivered PUBLISH (dup) before PUBREL is not delivered twice': session(v, id('dup'),
      ['packet', 'a', sub(1, [{ topic: t('dup'), qos: 2 }])],
      ...join(v, id('dup'), 'b'),
      ['packet', 'b', pub(t('dup'), 'once', { qos: 2, messageId: 5 })],
      ['packet', 'b', pub(t('dup'), 'once', { qos: 2, messageId: 5, dup: true })],
      ['packet', 'b', { cmd: 'pubrel', messageId: 5 }]),
    // --- SUBSCRIBE / UNSUBSCRIBE
    'SUBSCRIBE granted QoS and wildcards': session(v, id('grant'),
      ['packet', 'a', sub(3, [{ topic: t('grant/+/x'), qos: 0 }, { topic: t('grant2/#'), qos: 1 }, { topic: t('grant3'), qos: 2 }])],
      ...join(v, id('grant'), 'b'),
      ['packet', 'b', pub(t('grant/y/x'), 'plus')],
      ['packet', 'b', pub(t('grant2/p/q'), 'hash')],
      ['packet', 'b', pub(t('grant2'), 'parent')]),
    'SUBSCRIBE with an invalid filter a/#/b': session(v, id('badfilter'),
      ['packet', 'a', sub(4, [{ topic: t('badfilter/#/b'), qos: 1 }])]),
    'UNSUBSCRIBE and UNSUBACK': session(v, id('unsub'),
      ['packet', 'a', sub(1, [{ topic: t('unsub'), qos: 0 }])],
      ['packet', 'a', { cmd: 'unsubscribe', messageId: 2, unsubscriptions: [t('unsub'), t('never-subscribed')] }],
      ...join(v, id('unsub'), 'b'),
      ['packet', 'b', pub(t('unsub'), 'nobody')]),
    // --- retained
    'retained set, delivered, cleared': session(v, id('ret'),
      ...join(v, id('ret'), 'b'),
      ['packet', 'b', pub(t('ret'), 'kept', { retain: true, qos: 1, messageId: 1 })],
      ['packet', 'a', sub(1, [{ topic: t('ret'), qos: 1 }])],
      ['packet', 'a', answer('puback', 'publish')],
      ['packet', 'b', pub(t('ret'), 'live retained', { retain: true })],
      ['packet', 'b', pub(t('ret'), '', { retain: true })],
      ...join(v, id('ret'), 'c'),
      ['packet', 'c', sub(1, [{ topic: t('ret'), qos: 0 }])]),
    // --- will
    'DISCONNECT: the will is not sent': session(v, id('will0'),
      ['packet', 'a', sub(1, [{ topic: t('will0'), qos: 0 }])],
      ...join(v, id('will0'), 'b', { will: { topic: t('will0'), payload: 'gone', qos: 0, retain: false } }),
      ['packet', 'b', { cmd: 'disconnect' }]),
    'socket closed without DISCONNECT: the will is sent': session(v, id('will1'),
      ['packet', 'a', sub(1, [{ topic: t('will1'), qos: 1 }])],
      ...join(v, id('will1'), 'b', { will: { topic: t('will1'), payload: 'lost', qos: 1, retain: false } }),
      ['close', 'b'],
      ['packet', 'a', answer('puback', 'publish')]),
    // --- bad input
    'PUBLISH to a wildcard topic': session(v, id('wildpub'), ['packet', 'a', pub(t('wild/+'), 'x')]),
    'PUBLISH to a topic with #': session(v, id('hashpub'), ['packet', 'a', pub(t('wild/#'), 'x', { qos: 1, messageId: 1 })]),
    // --- shared subscriptions
    'shared subscription $share/g/t': session(v, id('share'),
      ...join(v, id('share'), 'b'),
      ['packet', 'b', pub(t('share'), 'retained, not for the share', { retain: true })],
      ['packet', 'a', sub(1, [{ topic: `$share/g/${t('share')}`, qos: 1 }])],
      ['packet', 'b', pub(t('share'), 'shared', { qos: 1, messageId: 3 })],
      ['packet', 'a', answer('puback', 'publish')],
      ['packet', 'b', pub(t('share'), '', { retain: true })]),
  };
  if (v === 4) {
    cases['bad protocol level'] = [['open', 'a'], ['raw', 'a', rawConnect(4, id('level'), (b) => (b[8] = 6))]];
  }
  if (five) {
    Object.assign(cases, {
      'CONNECT with session expiry and receive maximum': [['open', 'a'], ['packet', 'a', connect(v, id('props'), { properties: { sessionExpiryInterval: 30, receiveMaximum: 10, topicAliasMaximum: 5, requestResponseInformation: false } })]],
      'DISCONNECT with reason 0x04: the will is sent': session(v, id('will4'),
        ['packet', 'a', sub(1, [{ topic: t('will4'), qos: 0 }])],
        ...join(v, id('will4'), 'b', { will: { topic: t('will4'), payload: 'asked for', qos: 0, retain: false, properties: { userProperties: { w: '1' } } } }),
        ['packet', 'b', { cmd: 'disconnect', reasonCode: 4 }]),
      'retain handling 0, 1, 2 and retain as published': session(v, id('rh'),
        ['packet', 'a', pub(t('rh'), 'kept', { retain: true })],
        ['packet', 'a', sub(1, [{ topic: t('rh'), qos: 0, rh: 0 }])],
        ['packet', 'a', sub(2, [{ topic: t('rh'), qos: 0, rh: 1 }])],
        ['packet', 'a', sub(3, [{ topic: t('rh/x'), qos: 0, rh: 1 }])],
        ['packet', 'a', { cmd: 'unsubscribe', messageId: 4, unsubscriptions: [t('rh')] }],
        ['packet', 'a', sub(5, [{ topic: t('rh'), qos: 0, rh: 2 }])],
        ['packet', 'a', { cmd: 'unsubscribe', messageId: 6, unsubscriptions: [t('rh')] }],
        ['packet', 'a', sub(7, [{ topic: t('rh'), qos: 0, rap: true }])],
        ['packet', 'a', pub(t('rh'), 'kept again', { retain: true })],
        ['packet', 'a', pub(t('rh'), '', { retain: true })]),
      'retain as published off: live retained message has retain 0': session(v, id('rap0'),
        ['packet', 'a', sub(1, [{ topic: t('rap0'), qos: 0, rap: false }])],
        ...join(v, id('rap0'), 'b'),
        ['packet', 'b', pub(t('rap0'), 'live', { retain: true })],
        ['packet', 'b', pub(t('rap0'), '', { retain: true })]),
      'no local': session(v, id('nl'),
        ['packet', 'a', sub(1, [{ topic: t('nl'), qos: 0, nl: true }])],
        ['packet', 'a', pub(t('nl'), 'mine')],
        ...join(v, id('nl'), 'b'),
        ['packet', 'b', pub(t('nl'), 'theirs')]),
      'subscription identifier': session(v, id('sid'),
        ['packet', 'a', sub(1, [{ topic: t('sid/#'), qos: 0 }], { subscriptionIdentifier: 42 })],
        ['packet', 'a', sub(2, [{ topic: t('sid/x/+'), qos: 0 }], { subscriptionIdentifier: 7 })],
        ...join(v, id('sid'), 'b'),
        ['packet', 'b', pub(t('sid/y'), 'one')],
        ['packet', 'b', pub(t('sid/x/z'), 'two')]),
      'user properties and other PUBLISH properties forwarded': session(v, id('up'),
        ['packet', 'a', sub(1, [{ topic: t('up'), qos: 0 }])],
        ...join(v, id('up'), 'b'),
        ['packet', 'b', pub(t('up'), '{"a":1}', { properties: { userProperties: { k: 'v', list: ['1', '2'] }, contentType: 'application/json', payloadFormatIndicator: true, responseTopic: t('up/reply'), correlationData: Buffer.from('c1') } })]),
      'message expiry': session(v, id('exp'),
        ['packet', 'a', sub(1, [{ topic: t('exp/live'), qos: 0 }])],
        ...join(v, id('exp'), 'b'),
        ['packet', 'b', pub(t('exp/live'), 'live', { properties: { messageExpiryInterval: 100 } })],
        ['packet', 'b', pub(t('exp/ret'), 'expires', { retain: true, properties: { messageExpiryInterval: 1 } })],
        ['wait', 1600],
        ['packet', 'a', sub(2, [{ topic: t('exp/ret'), qos: 0 }])]),
      'topic alias from the client': session(v, id('alias'),
        ['packet', 'a', sub(1, [{ topic: t('alias'), qos: 0 }])],
        ...join(v, id('alias'), 'b'),
        ['packet', 'b', pub(t('alias'), 'named', { properties: { topicAlias: 1 } })],
        ['packet', 'b', pub('', 'by alias', { properties: { topicAlias: 1 } })]),
      'topic alias never set': session(v, id('alias0'), ['packet', 'a', pub('', 'unknown alias', { properties: { topicAlias: 3 } })]),
    });
  }
  return Object.fromEntries(Object.entries(cases).map(([n, s]) => [`[${ver}] ${n}`, s]));
}

const CASES = { ...casesFor('3.1.1'), ...casesFor('5') };

/**
 * Differences kept on purpose: each rewrites Mosquitto's transcript into Stompbox's answer.
 * `why` is the reason and which side the MQTT specification supports.
 */
const DIFFERENCES = {
};

function eachPacket(fn) {
  return (t) => {
    let changed = false;
    for (const entry of t) for (const [k, packets] of Object.entries(entry)) if (k !== 'step') for (const p of packets) if (typeof p === 'object' && fn(p)) changed = true;
    return changed;
  };
}

describe('MQTT: Stompbox against Mosquitto 2.0, packet by packet', { skip: missing }, () => {
  let mosquitto;
  let broker;
  const used = new Set();
  const results = new Map();
  before(async () => {
    [mosquitto, broker] = await Promise.all([startMosquitto(), spawnBroker()]);
    // All scripts at once against each broker: topics and client ids are distinct per case.
    const names = Object.keys(CASES);
    const [peer, ours] = await Promise.all([
      Promise.all(names.map((n) => play(mosquitto.port, CASES[n]))),
      Promise.all(names.map((n) => play(broker.mqttPort, CASES[n]))),
    ]);
    names.forEach((n, i) => {
      const expected = structuredClone(peer[i]);
      for (const [d, { apply, cases }] of Object.entries(DIFFERENCES)) {
        if (cases !== undefined && !cases.includes(n)) continue;
        if (apply(expected, CASES[n], n)) used.add(d);
      }
      results.set(n, { peer: peer[i], expected, ours: ours[i] });
    });
    // STOMPBOX_DIFF_DUMP=file keeps both transcripts of every case, to read a difference whole.
    if (process.env.STOMPBOX_DIFF_DUMP) writeFileSync(`${process.env.STOMPBOX_DIFF_DUMP}.mqtt.json`, JSON.stringify(Object.fromEntries(results), null, 1));
  });
  after(async () => {
    await Promise.all([mosquitto?.stop(), broker?.stop()]);
  });

  for (const name of Object.keys(CASES)) {
    test(name, () => {
      const { peer, expected, ours } = results.get(name);
      assert.deepStrictEqual(ours, expected, `Stompbox answered differently from Mosquitto (after the known differences).\nMosquitto as is: ${JSON.stringify(peer, null, 1)}`);
    });
  }

  test('every known difference still shows up somewhere (the table is not stale)', () => {
    for (const d of Object.keys(DIFFERENCES)) assert.ok(used.has(d), `known difference '${d}' no longer appears: remove it from the table`);
  });
});
