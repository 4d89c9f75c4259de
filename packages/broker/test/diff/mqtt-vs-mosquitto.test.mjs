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
import { DIFFERENCES, tolerate } from './mqtt-differences.mjs';
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
    // Keep Alive 1 and then silence: the server closes after one and a half times it ([MQTT-3.1.2-24]).
    'keep alive not kept': [['open', 'a'], ['packet', 'a', connect(v, id('ka'), { keepalive: 1 })], ['wait', 1000], ['wait', 1000], ['wait', 3500]],
    'keep alive kept by PINGREQ': [['open', 'a'], ['packet', 'a', connect(v, id('ka2'), { keepalive: 1 })],
      ['wait', 700], ['packet', 'a', { cmd: 'pingreq' }], ['wait', 700], ['packet', 'a', { cmd: 'pingreq' }], ['wait', 700], ['packet', 'a', { cmd: 'pingreq' }]],
    'a persistent session resumed': [
      ['open', 'a'], ['packet', 'a', connect(v, id('persist'), five ? { clean: false, properties: { sessionExpiryInterval: 60 } } : { clean: false })],
      ['packet', 'a', sub(1, [{ topic: t('persist'), qos: 1 }])],
      ['close', 'a'],
      ...join(v, id('persist'), 'b'),
      ['packet', 'b', pub(t('persist'), 'while away', { qos: 1, messageId: 7 })],
      ['open', 'c'], ['packet', 'c', connect(v, id('persist'), five ? { clean: false, properties: { sessionExpiryInterval: 0 } } : { clean: false })],
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
    'overlapping subscriptions': session(v, id('overlap'),
      ['packet', 'a', sub(1, [{ topic: t('overlap/#'), qos: 0 }, { topic: t('overlap/+'), qos: 1 }])],
      ...join(v, id('overlap'), 'b'),
      ['packet', 'b', pub(t('overlap/x'), 'both match', { qos: 1, messageId: 1 })],
      ['packet', 'a', answer('puback', 'publish')]),
    'two members of a share group': session(v, id('share2'),
      ['packet', 'a', sub(1, [{ topic: `$share/g2/${t('share2')}`, qos: 0 }])],
      ...join(v, id('share2'), 'b'),
      ['packet', 'b', sub(1, [{ topic: `$share/g2/${t('share2')}`, qos: 0 }])],
      ...join(v, id('share2'), 'c'),
      ['packet', 'c', pub(t('share2'), 'one of two')],
      ['packet', 'c', pub(t('share2'), 'one of two')]),
  };
  if (v === 4) {
    cases['MQTT 3.1 (MQIsdp, level 3)'] = [['open', 'a'], ['packet', 'a', connect(3, id('v31'), { protocolId: 'MQIsdp' })]];
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
        ['packet', 'a', sub(3, [{ topic: t('rh/+'), qos: 0, rh: 1 }])],
        ['packet', 'a', pub(t('rh/x'), 'kept too', { retain: true })],
        ['packet', 'a', { cmd: 'unsubscribe', messageId: 8, unsubscriptions: [t('rh/+')] }],
        ['packet', 'a', sub(9, [{ topic: t('rh/+'), qos: 0, rh: 1 }])],
        ['packet', 'a', pub(t('rh/x'), '', { retain: true })],
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
      'no local on a shared subscription': session(v, id('nlshare'), ['packet', 'a', sub(1, [{ topic: `$share/g/${t('nlshare')}`, qos: 0, nl: true }])]),
      'retained message with an expiry read later': session(v, id('expret'),
        ['packet', 'a', pub(t('expret'), 'ages', { retain: true, properties: { messageExpiryInterval: 30 } })],
        ['wait', 1100],
        ['packet', 'a', sub(1, [{ topic: t('expret'), qos: 0 }])],
        ['packet', 'a', pub(t('expret'), '', { retain: true })]),
      'topic alias never set': session(v, id('alias0'), ['packet', 'a', pub('', 'unknown alias', { properties: { topicAlias: 3 } })]),
      // A subscriber that allows topic aliases: the broker may use them on what it sends (§3.3.2.3.4).
      'topic alias to the client': [
        ['open', 'a'], ['packet', 'a', connect(v, id('aliasout-a'), { properties: { topicAliasMaximum: 2 } })],
        ['packet', 'a', sub(1, [{ topic: t('aliasout/#'), qos: 0 }])],
        ...join(v, id('aliasout'), 'b'),
        ['packet', 'b', pub(t('aliasout/x'), 'first')],
        ['packet', 'b', pub(t('aliasout/x'), 'second')],
        ['packet', 'b', pub(t('aliasout/y'), 'third')],
        ['packet', 'b', pub(t('aliasout/z'), 'fourth')],
        ['packet', 'b', pub(t('aliasout/x'), 'fifth')]],
      // The will is held for its delay, and sent when the delay runs out (§3.1.3.2.2).
      'will delay interval elapsing': session(v, id('willdelay'),
        ['packet', 'a', sub(1, [{ topic: t('willdelay'), qos: 0 }])],
        ...join(v, id('willdelay'), 'b', { clean: false, properties: { sessionExpiryInterval: 60 }, will: { topic: t('willdelay'), payload: 'late', qos: 0, retain: false, properties: { willDelayInterval: 1 } } }),
        ['close', 'b'],
        ['wait', 1800]),
      // A client back within the will delay: its will is not sent ([MQTT-3.1.3-9]).
      'will delay: reconnected in time': session(v, id('willback'),
        ['packet', 'a', sub(1, [{ topic: t('willback'), qos: 0 }])],
        ...join(v, id('willback'), 'b', { clean: false, properties: { sessionExpiryInterval: 60 }, will: { topic: t('willback'), payload: 'never', qos: 0, retain: false, properties: { willDelayInterval: 2 } } }),
        ['close', 'b'],
        ...join(v, id('willback'), 'c', { clean: false, properties: { sessionExpiryInterval: 0 } }),
        ['wait', 2500]),
      // The session ends before the will delay: the will goes at the session's end (§3.1.3.2.2).
      'will delay longer than the session': session(v, id('willsess'),
        ['packet', 'a', sub(1, [{ topic: t('willsess'), qos: 0 }])],
        ...join(v, id('willsess'), 'b', { will: { topic: t('willsess'), payload: 'session over', qos: 0, retain: false, properties: { willDelayInterval: 30 } } }),
        ['close', 'b'],
        ['wait', 2000]),
      // Receive Maximum 2: at most two unacknowledged QoS 1 messages in flight to the client (§4.9).
      'receive maximum from the client': [
        ['open', 'a'], ['packet', 'a', connect(v, id('rmax-a'), { properties: { receiveMaximum: 2 } })],
        ['packet', 'a', sub(1, [{ topic: t('rmax'), qos: 1 }])],
        ...join(v, id('rmax'), 'b'),
        ['packet', 'b', pub(t('rmax'), 'm1', { qos: 1, messageId: 1 })],
        ['packet', 'b', pub(t('rmax'), 'm2', { qos: 1, messageId: 2 })],
        ['packet', 'b', pub(t('rmax'), 'm3', { qos: 1, messageId: 3 })],
        ['packet', 'b', pub(t('rmax'), 'm4', { qos: 1, messageId: 4 })],
        ['packet', 'a', (rx) => ({ cmd: 'puback', messageId: rx.find((p) => p.cmd === 'publish').messageId })],
        ['packet', 'a', (rx) => ({ cmd: 'puback', messageId: rx.filter((p) => p.cmd === 'publish')[1].messageId })],
        ['packet', 'a', (rx) => ({ cmd: 'puback', messageId: rx.filter((p) => p.cmd === 'publish')[2].messageId })],
        ['packet', 'a', (rx) => ({ cmd: 'puback', messageId: rx.filter((p) => p.cmd === 'publish')[3].messageId })]],
      // A session kept for 1 s is gone after 2 s: no session present, nothing kept for it (§3.1.2.11.2).
      'session expiry running out': [
        ['open', 'a'], ['packet', 'a', connect(v, id('sexp'), { clean: false, properties: { sessionExpiryInterval: 1 } })],
        ['packet', 'a', sub(1, [{ topic: t('sexp'), qos: 1 }])],
        ['close', 'a'],
        ...join(v, id('sexp'), 'b'),
        ['packet', 'b', pub(t('sexp'), 'for a session that ends', { qos: 1, messageId: 1 })],
        ['wait', 2200],
        ['open', 'c'], ['packet', 'c', connect(v, id('sexp'), { clean: false, properties: { sessionExpiryInterval: 0 } })]],
      // DISCONNECT may change the session expiry interval, but not from 0 ([MQTT-3.14.2-2]).
      'DISCONNECT with session expiry after CONNECT with 0': session(v, id('sexp0'),
        ['packet', 'a', { cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 30 } }]),
      'DISCONNECT shortening the session expiry': [
        ['open', 'a'], ['packet', 'a', connect(v, id('sexpd'), { clean: false, properties: { sessionExpiryInterval: 60 } })],
        ['packet', 'a', sub(1, [{ topic: t('sexpd'), qos: 1 }])],
        ['packet', 'a', { cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } }],
        ['open', 'c'], ['packet', 'c', connect(v, id('sexpd'), { clean: false })]],
    });
  }
  return Object.fromEntries(Object.entries(cases).map(([n, s]) => [`[${ver}] ${n}`, s]));
}

const CASES = { ...casesFor('3.1.1'), ...casesFor('5') };

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
      Promise.all(names.map(async (n) => tolerate(await play(mosquitto.port, CASES[n])))),
      Promise.all(names.map(async (n) => tolerate(await play(broker.mqttPort, CASES[n])))),
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
