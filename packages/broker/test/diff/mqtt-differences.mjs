// The differences between Stompbox and Mosquitto 2.0 kept on purpose, for the MQTT
// differential test (mqtt-vs-mosquitto.test.mjs): each rewrites Mosquitto's transcript into
// what Stompbox answers instead, with the reason and which side the MQTT specification
// supports; and the tolerance applied to both transcripts alike.
// Not a test file itself (no `.test.` in the name).
/**
 * Differences kept on purpose: each rewrites Mosquitto's transcript into Stompbox's answer.
 * `why` is the reason and which side the MQTT specification supports.
 */
export const DIFFERENCES = {
  'CONNACK properties': {
    why: "Each broker states its own limits in CONNACK (MQTT 5 §3.2.2.3): Mosquitto Receive Maximum 20, Topic Alias Maximum 10, and a Server Keep Alive of 65535 to a client that asked for keep alive 0 (its max_keepalive; the client must then use it, [MQTT-3.2.2-21]); Stompbox Receive Maximum 100, Topic Alias Maximum 64, Maximum Packet Size 1 MiB, the availability flags stated though true is their default, and no Server Keep Alive, so a keep alive of 0 stays off (§3.1.2.10). Both conform",
    apply: eachPacket((p) => {
      if (p.cmd !== 'connack' || p.properties === undefined) return false;
      const { receiveMaximum, serverKeepAlive, topicAliasMaximum, ...rest } = p.properties;
      if (receiveMaximum !== 20 || topicAliasMaximum !== 10) return false;
      p.properties = Object.fromEntries(Object.entries({
        ...rest, maximumPacketSize: 1048576, receiveMaximum: 100, retainAvailable: true, sharedSubscriptionAvailable: true,
        subscriptionIdentifiersAvailable: true, topicAliasMaximum: 64, wildcardSubscriptionAvailable: true,
      }).sort(([a], [b]) => (a < b ? -1 : 1)));
      return true;
    }),
  },
  'QoS 2 from a client delivered at PUBLISH': {
    why: "Mosquitto passes an incoming QoS 2 message on when the PUBREL arrives; Stompbox when the PUBLISH arrives, storing its packet identifier so that a resent PUBLISH (dup) is not delivered again before PUBREL (3.1.1 [MQTT-4.3.3-2]). The specification allows both (Figure 4.3, 'Method A' and 'Method B', in 3.1.1 and 5)",
    apply: (t, script) => {
      let changed = false;
      t.forEach((entry, i) => {
        const [op, from, packet] = script[i];
        if (op !== 'packet' || packet.cmd !== 'pubrel') return;
        let j = i - 1;
        while (j >= 0 && !(script[j][0] === 'packet' && script[j][1] === from && script[j][2].cmd === 'publish' && script[j][2].qos === 2 && script[j][2].messageId === packet.messageId && !script[j][2].dup)) j--;
        if (j < 0) return;
        for (const [k, packets] of Object.entries(entry)) {
          if (k === 'step' || k === from) continue;
          const moved = packets.filter((p) => p.cmd === 'publish');
          if (moved.length === 0) continue;
          entry[k] = packets.filter((p) => p.cmd !== 'publish');
          t[j][k] = [...(t[j][k] ?? []), ...moved];
          changed = true;
        }
      });
      return changed;
    },
  },
  'an invalid topic filter in SUBSCRIBE': {
    why: "For the filter a/#/b ([MQTT-4.7.1-2]: # must be last) Mosquitto closes the connection (3.1.1) or sends DISCONNECT 0x81 Malformed Packet (5); Stompbox answers SUBACK with 0x80 Failure (3.1.1, §3.9.3) or 0x8F Topic Filter invalid (5, §3.9.3) and keeps the connection. Both conform ([MQTT-4.8.0-1] allows closing); 0x8F is the reason code MQTT 5 defines for this, the packet itself being well formed",
    cases: ['[3.1.1] SUBSCRIBE with an invalid filter a/#/b', '[5] SUBSCRIBE with an invalid filter a/#/b'],
    apply: (t, script, name) => {
      const e = t.find((x) => x.step === 'a: subscribe');
      const v5 = name.startsWith('[5]');
      const first = e.a[0];
      if (!(v5 ? first?.cmd === 'disconnect' && first.reasonCode === 0x81 : first === '<closed>')) return false;
      e.a = [{ cmd: 'suback', granted: [v5 ? 0x8f : 0x80], messageId: '*' }];
      return true;
    },
  },
  'retained messages and shared subscriptions': {
    why: "Mosquitto sends the retained message to a new $share/g/t subscription; Stompbox does not: MQTT 5 sends retained messages for a new Non-shared Subscription only (§3.3.1.3, §4.8.2), and Stompbox does the same for 3.1.1 (where $share is an extension). Stompbox follows MQTT 5",
    cases: ['[3.1.1] shared subscription $share/g/t', '[5] shared subscription $share/g/t'],
    apply: (t) => {
      const e = t.find((x) => x.step === 'a: subscribe');
      const i = e.a.findIndex((p) => p.cmd === 'publish' && p.retain);
      if (i < 0) return false;
      e.a.splice(i, 1);
      return true;
    },
  },
  'PUBACK 0x10 No matching subscribers': {
    why: 'To a QoS 1 PUBLISH nobody is subscribed to, Mosquitto answers PUBACK 0x10 No matching subscribers, Stompbox 0x00 Success (a retained message is kept all the same). MQTT 5 §3.4.2.1 makes 0x10 optional; both conform',
    apply: eachPacket((p) => p.cmd === 'puback' && p.reasonCode === 0x10 && (p.reasonCode = 0) === 0),
  },
  'PUBLISH to a topic name with wildcards (MQTT 5)': {
    why: "Both disconnect ([MQTT-3.3.2-2]: a Topic Name MUST NOT contain wildcards); Mosquitto with 0x82 Protocol Error, Stompbox with 0x90 Topic Name invalid, the reason code MQTT 5 defines for it (§3.14.2.1). Stompbox's is the more precise",
    cases: ['[5] PUBLISH to a wildcard topic', '[5] PUBLISH to a topic with #'],
    apply: eachPacket((p) => p.cmd === 'disconnect' && p.reasonCode === 0x82 && (p.reasonCode = 0x90) === 0x90),
  },
  'overlapping subscriptions (3.1.1)': {
    why: "A message matching two subscriptions of one 3.1.1 client (diff/#, QoS 0 and diff/+, QoS 1): Mosquitto sends one copy at the higher QoS, Stompbox one copy per subscription, each at its own QoS. 3.1.1 allows both ([MQTT-3.3.5-1]: the maximum QoS of the matching subscriptions is respected, and the Server MAY send a copy per further subscription)",
    cases: ['[3.1.1] overlapping subscriptions'],
    apply: (t) => {
      const e = t.find((x) => x.step.startsWith('b: publish'));
      const p = e.a.find((x) => x.cmd === 'publish');
      if (e.a.length !== 1 || p === undefined) return false;
      const { messageId, ...copy } = p;
      e.a.unshift({ ...copy, qos: 0 });
      return true;
    },
  },
  'No Local on a shared subscription': {
    why: "MQTT 5 [MQTT-3.8.3-4]: No Local set on a Shared Subscription is a Protocol Error. Mosquitto grants the subscription; Stompbox sends DISCONNECT 0x82 Protocol Error and closes. Stompbox follows the specification",
    cases: ['[5] no local on a shared subscription'],
    apply: (t) => {
      const e = t.find((x) => x.step === 'a: subscribe');
      if (e.a[0]?.cmd !== 'suback') return false;
      e.a = [{ cmd: 'disconnect', reasonCode: 0x82 }, '<closed>'];
      return true;
    },
  },
  'keep alive enforced at one and a half times': {
    why: "A client with Keep Alive 1 that then sends nothing: Stompbox closes the connection at 1.5 s, as [MQTT-3.1.2-24] requires, after a DISCONNECT 0x8D Keep Alive timeout in MQTT 5 (§4.13.1: the Server MAY send one). Mosquitto 2.0.11 closes it only after about 4.5 s (its keep-alive check runs on a coarse timer). Stompbox follows the specification",
    cases: ['[3.1.1] keep alive not kept', '[5] keep alive not kept'],
    apply: (t, script, name) => {
      const late = t[t.length - 1];
      if (late.a.length !== 1 || late.a[0] !== '<closed>') return false;
      delete late.a; // a connection's close is its last entry
      t[t.length - 2].a = name.startsWith('[5]') ? [{ cmd: 'disconnect', reasonCode: 0x8d }, '<closed>'] : ['<closed>'];
      return true;
    },
  },
  'a will whose delay outlasts the session': {
    why: "A will with Will Delay 30 s from a client whose session ends when its connection does (Session Expiry 0): MQTT 5 §3.1.3.2.2 publishes the will when the delay has passed or the session ends, whichever is first, so Stompbox sends it at once. Mosquitto 2.0.11 never sends it. Stompbox follows the specification",
    cases: ['[5] will delay longer than the session'],
    apply: (t) => {
      const e = t.find((x) => x.step === 'close b');
      if (e.a.length !== 0) return false;
      e.a = [{ cmd: 'publish', topic: 'diff/5/willsess', payload: 'session over', qos: 0, retain: false, dup: false }];
      return true;
    },
  },
  'Receive Maximum from the client': {
    why: "A subscriber that said Receive Maximum 2, with four QoS 1 messages waiting and two in flight: at its first PUBACK Mosquitto 2.0.11 sends the third and the fourth, three unacknowledged, against [MQTT-3.3.4-9]; Stompbox sends one more per PUBACK. Stompbox follows the specification",
    cases: ['[5] receive maximum from the client'],
    apply: (t) => {
      const acks = t.filter((x) => x.step === 'a: puback');
      if (acks[0].a.length !== 2 || acks[1].a.length !== 0) return false;
      acks[1].a = [acks[0].a.pop()];
      return true;
    },
  },
  'a second CONNECT (MQTT 5)': {
    why: 'A second CONNECT is a Protocol Error and the connection is closed ([MQTT-3.1.0-2]); Mosquitto closes without a word, Stompbox sends DISCONNECT 0x82 Protocol Error first (MQTT 5 §4.13.1: the Server MAY). Both conform',
    cases: ['[5] a second CONNECT'],
    apply: (t) => {
      const e = t[t.length - 1];
      if (e.a.length !== 1 || e.a[0] !== '<closed>') return false;
      e.a.unshift({ cmd: 'disconnect', reasonCode: 0x82 });
      return true;
    },
  },
};

/**
 * Applied to both transcripts alike, before the comparison: a retained message's expiry
 * interval is counted down while it waits (MQTT 5 §3.3.2.3.3), and Mosquitto counts in
 * whole-second clock ticks (28 or 29 after 1.1 s of 30), Stompbox from the arrival time
 * (29): compared as 'counted down' when it is 27 to 29.
 */
export function tolerate(t) {
  for (const entry of t) for (const [k, packets] of Object.entries(entry)) {
    if (k === 'step') continue;
    for (const p of packets) {
      const e = p?.properties?.messageExpiryInterval;
      if (p.cmd === 'publish' && p.topic.endsWith('/expret') && e >= 27 && e <= 29) p.properties.messageExpiryInterval = '30, counted down';
    }
  }
  return t;
}

function eachPacket(fn) {
  return (t) => {
    let changed = false;
    for (const entry of t) for (const [k, packets] of Object.entries(entry)) if (k !== 'step') for (const p of packets) if (typeof p === 'object' && fn(p)) changed = true;
    return changed;
  };
}
