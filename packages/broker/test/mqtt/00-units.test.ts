/**
 * 00: the MQTT pieces on their own: the packet framer (split anywhere = whole, the
 * size limit before buffering), the shared decoder (random bytes never break it or
 * the next packet), the topic mapping (every topic maps to one destination and back),
 * and retained-message matching.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { generate, type Packet } from 'mqtt-packet';
import { PacketFramer } from '../../src/mqtt/framer.js';
import { decodePacket } from '../../src/mqtt/decode.js';
import { destinationToTopic, filterProblem, filterToDestination, patternMatches, topicToDestination } from '../../src/mqtt/topic-map.js';
import { RetainedMessages } from '../../src/core/retained.js';
import { newMessage } from '../../src/core/message.js';
import { StompboxError, ErrorCodes } from '../../src/errors.js';

const packets: Packet[] = [
  { cmd: 'publish', topic: 'a/b', payload: Buffer.from('hello'), qos: 0, retain: false, dup: false },
  { cmd: 'publish', topic: 'x', payload: Buffer.alloc(300, 7), qos: 1, messageId: 3, retain: true, dup: false },
  { cmd: 'pingreq' },
  { cmd: 'subscribe', messageId: 9, subscriptions: [{ topic: 'a/#', qos: 1 }] },
  { cmd: 'puback', messageId: 4 },
];
const stream = Buffer.concat(packets.map((p) => generate(p)));

function frame(chunks: Buffer[], max = 1 << 20): Buffer[] {
  const f = new PacketFramer(max);
  const out: Buffer[] = [];
  for (const c of chunks) f.push(c, (p) => out.push(Buffer.from(p)));
  return out;
}

describe('packet framer', () => {
  it('a stream split at every point gives the same packets as whole', () => {
    const whole = frame([stream]);
    assert.equal(whole.length, packets.length);
    for (let i = 0; i <= stream.length; i++) assert.deepEqual(frame([stream.subarray(0, i), stream.subarray(i)]), whole, `split at ${i}`);
    assert.deepEqual(frame([...stream].map((b) => Buffer.from([b]))), whole, 'one byte at a time');
  });

  it('property: any chunking gives the same packets', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 20 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let last = 0;
        for (const p of points) {
          chunks.push(stream.subarray(last, p));
          last = p;
        }
        chunks.push(stream.subarray(last));
        assert.deepEqual(frame(chunks), frame([stream]));
      }),
    );
  });

  it('a packet over the limit is refused from its header alone (nothing of it is buffered)', () => {
    const f = new PacketFramer(100);
    // Header of a 2 MB PUBLISH, first byte of its length only at first.
    f.push(Buffer.from([0x30, 0x80]), () => assert.fail('no packet'));
    assert.throws(() => f.push(Buffer.from([0x80, 0x01]), () => undefined), (e: unknown) => e instanceof StompboxError && e.code === ErrorCodes.MQTT_PACKET_TOO_LARGE);
  });

  it('a fifth length byte is malformed [MQTT-1.5.5-1]', () => {
    assert.throws(() => frame([Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01])]), (e: unknown) => e instanceof StompboxError && e.code === ErrorCodes.MQTT_MALFORMED_PACKET);
  });
});

describe('shared decoder', () => {
  it('random packets never throw anything but a StompboxError, and never spoil the next packet', () => {
    const good = generate({ cmd: 'publish', topic: 't/1', payload: Buffer.from('ok'), qos: 1, messageId: 2, retain: false, dup: false });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.uint8Array({ maxLength: 40 }), fc.constantFrom(0, 4, 5), (type, body, version) => {
        const bytes = Buffer.concat([Buffer.from([(type << 4) | (body[0] ?? 0) % 16, body.length]), Buffer.from(body)]);
        try {
          decodePacket(bytes, version);
        } catch (err) {
          assert.ok(err instanceof StompboxError, `threw ${String(err)}`);
        }
        const p = decodePacket(good, 4) as { cmd: string; topic: string };
        assert.equal(p.cmd, 'publish');
        assert.equal(p.topic, 't/1');
      }),
      { numRuns: 500 },
    );
  });
});

describe('topic mapping', () => {
  it('RabbitMQ-style: a/b/c <-> /topic/a.b.c, dots and slashes swapped', () => {
    assert.equal(topicToDestination('a/b/c'), '/topic/a.b.c');
    assert.equal(topicToDestination('v1.2/x'), '/topic/v1/2.x');
    assert.equal(topicToDestination('/lead'), '/topic/.lead');
    assert.equal(topicToDestination('$SYS/broker/uptime'), '/topic/$SYS.broker.uptime');
    assert.equal(topicToDestination('$queue/orders'), '/queue/orders');
    assert.equal(topicToDestination('$stomp/response/1/2'), '/response/1/2');
    assert.equal(destinationToTopic('/reply-queue/abc'), '$stomp/reply-queue/abc');
    assert.equal(filterToDestination('a/+/#'), '/topic/a.*.#');
  });

  it('property: every topic name maps to one destination and back', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !/[+#\u0000]/.test(s) && !s.startsWith('$queue/') && !s.startsWith('$stomp/')), (t) => {
        assert.equal(destinationToTopic(topicToDestination(t)), t);
      }),
    );
  });

  it('[MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.7.3-1] filter validation', () => {
    for (const ok of ['#', '+', 'a/+/b', 'a/#', '+/+', '/', 'a//b', '$SYS/#']) assert.equal(filterProblem(ok), undefined, ok);
    for (const bad of ['', 'a/#/b', 'a#', 'a/b+', '#/a', '$queue/a/+']) assert.notEqual(filterProblem(bad), undefined, bad);
  });

  it('pattern matching follows the index: + one level, # any, $ topics only by name [MQTT-4.7.2-1]', () => {
    assert.ok(patternMatches('/topic/a.*.c', '/topic/a.b.c'));
    assert.ok(patternMatches('/topic/a.#', '/topic/a'));
    assert.ok(!patternMatches('/topic/#', '/topic/$SYS.x'));
    assert.ok(!patternMatches('/topic/*.x', '/topic/$SYS.x'));
    assert.ok(patternMatches('/topic/$SYS.#', '/topic/$SYS.x'));
  });
});

describe('retained messages', () => {
  const msg = (dest: string, body = 'x', expires = 0) => newMessage(dest, [], Buffer.from(body), false, expires);

  it('match: exact, +, #, $-topics only by name, expired ones dropped, empty body clears', () => {
    const r = new RetainedMessages();
    for (const d of ['/topic/a.b', '/topic/a.c', '/topic/a.b.c', '/topic/$SYS.up', '/topic/z']) r.set(msg(d));
    r.set(msg('/topic/old', 'x', Date.now() - 1));
    const dests = (p: string) => r.match(p).map((m) => m.destination).sort();
    assert.deepEqual(dests('/topic/a.b'), ['/topic/a.b']);
    assert.deepEqual(dests('/topic/a.*'), ['/topic/a.b', '/topic/a.c']);
    assert.deepEqual(dests('/topic/a.#'), ['/topic/a.b', '/topic/a.b.c', '/topic/a.c']);
    assert.deepEqual(dests('/topic/#'), ['/topic/a.b', '/topic/a.b.c', '/topic/a.c', '/topic/z']);
    assert.deepEqual(dests('/topic/$SYS.#'), ['/topic/$SYS.up']);
    assert.equal(r.size, 5, 'the expired one was dropped when met');
    r.set(msg('/topic/a.b', ''));
    assert.deepEqual(dests('/topic/a.*'), ['/topic/a.c']);
    assert.equal(r.size, 4);
  });

  it('a bound refuses new destinations but replaces existing ones', () => {
    const r = new RetainedMessages(2);
    assert.ok(r.set(msg('/topic/a')));
    assert.ok(r.set(msg('/topic/b')));
    assert.equal(r.set(msg('/topic/c')), false);
    assert.ok(r.set(msg('/topic/a', 'new')));
    assert.equal(Buffer.from(r.get('/topic/a')!.body).toString(), 'new');
    assert.equal(r.match('/topic/#').length, 2);
  });
});
