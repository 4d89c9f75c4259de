// Plays a scripted MQTT session, packet by packet, against one broker and records what
// came back, step by step and connection by connection, in a form two brokers can be
// compared in: packets decoded with mqtt-packet (the protocol version each connection's
// CONNECT named), values that legitimately differ (packet identifiers, assigned client
// ids, reason strings) replaced by placeholders, and whether each connection was closed
// once the step settled.
// Not a test file itself (no `.test.` in the name).
import net from 'node:net';
import mqtt from 'mqtt-packet';

/**
 * A script is a list of steps:
 *   ['open', name]                  a TCP connection
 *   ['packet', name, packet]        an mqtt-packet object, generated for the connection's
 *                                   version (a CONNECT sets it from its protocolVersion)
 *                                   (a function: called with the packets the connection
 *                                   received so far, to answer with their identifiers)
 *   ['raw', name, Buffer]           bytes written as they are
 *   ['close', name]                 the client closes the socket (no DISCONNECT)
 *   ['wait', ms]
 * After each step the player waits until nothing has arrived for `quietMs`.
 */
export async function play(port, script, { quietMs = 150, maxStepMs = 4000 } = {}) {
  const conns = new Map();
  let lastData = Date.now();
  const transcript = [];
  for (let step of script) {
    const [op, name] = step;
    if (op === 'open') {
      conns.set(name, await open(port, () => (lastData = Date.now())));
    } else if (op === 'packet') {
      const c = conns.get(name);
      const packet = typeof step[2] === 'function' ? step[2](c.received) : step[2];
      step = [op, name, packet];
      if (packet.cmd === 'connect') c.setVersion(packet.protocolVersion ?? 4);
      c.write(mqtt.generate(packet, { protocolVersion: c.version }));
    } else if (op === 'raw') {
      const c = conns.get(name);
      // A raw CONNECT (short: one length byte) names the version its answers are parsed in.
      if (step[2][0] === 0x10 && [3, 4, 5].includes(step[2][8])) c.setVersion(step[2][8]);
      c.write(step[2]);
    } else if (op === 'close') {
      conns.get(name).end();
    } else if (op === 'wait') {
      await sleep(name);
    } else throw new Error(`unknown step ${op}`);
    const started = Date.now();
    lastData = Date.now();
    while (Date.now() - lastData < quietMs && Date.now() - started < maxStepMs) await sleep(20);
    const entry = { step: describe(step) };
    for (const [n, c] of conns) {
      entry[n] = sortCopies(c.packets.splice(0).map(normalise));
      if (c.closed) entry[n].push('<closed>');
    }
    transcript.push(entry);
    // A connection's close is reported once, at the step it happened.
    for (const [n, c] of conns) if (c.closed) conns.delete(n);
  }
  for (const c of conns.values()) c.destroy();
  return transcript;
}

function describe(step) {
  const [op, name, arg] = step;
  if (op === 'packet') return `${name}: ${arg.cmd}${arg.topic !== undefined ? ` ${arg.topic}` : ''}`;
  if (op === 'raw') return `${name}: raw ${arg.toString('hex').slice(0, 40)}`;
  if (op === 'wait') return `wait ${name}`;
  return `${op} ${name}`;
}

function open(port, onData) {
  const c = { packets: [], received: [], closed: false, version: 4 };
  let parser;
  const newParser = () => {
    parser = mqtt.parser({ protocolVersion: c.version });
    parser.on('packet', (p) => { c.packets.push(p); c.received.push(p); });
    parser.on('error', (err) => c.packets.push({ cmd: '<undecodable>', error: String(err.message) }));
  };
  newParser();
  c.setVersion = (v) => {
    c.version = v;
    parser.settings.protocolVersion = v;
  };
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    Object.assign(c, { write: (b) => socket.write(b), end: () => socket.end(), destroy: () => socket.destroy() });
    socket.on('data', (d) => {
      onData();
      parser.parse(d);
    });
    socket.on('close', () => {
      onData();
      c.closed = true;
    });
    socket.on('error', () => {});
    socket.once('connect', () => resolve(c));
    socket.once('error', reject);
  });
}

/** Properties whose values are the broker's to choose: compared by presence only. */
const OPAQUE_PROPERTIES = new Set(['assignedClientIdentifier']);
/**
 * Properties left out: where to go instead is the broker's own business, and a reason
 * string is each broker's own text, sent or not as it likes (MQTT 5 §3.2.2.3.9).
 */
const DROPPED_PROPERTIES = new Set(['serverReference', 'reasonString']);

/**
 * A packet as compared: cmd, return/reason code, sessionPresent, granted, topic, payload
 * as a string, qos/retain/dup (PUBLISH), MQTT 5 properties (sorted by name), and the
 * packet identifier by presence ('*').
 */
export function normalise(p) {
  if (p.cmd === '<undecodable>') return p;
  const out = { cmd: p.cmd };
  if (p.returnCode !== undefined) out.returnCode = p.returnCode;
  if (p.reasonCode !== undefined) out.reasonCode = p.reasonCode;
  if (p.sessionPresent !== undefined) out.sessionPresent = p.sessionPresent;
  if (p.granted !== undefined) out.granted = [...p.granted];
  if (p.topic !== undefined && p.topic !== null) out.topic = p.topic;
  if (p.cmd === 'publish') {
    out.payload = Buffer.from(p.payload ?? '').toString('utf8');
    out.qos = p.qos;
    out.retain = p.retain;
    out.dup = p.dup;
  }
  if (p.messageId !== undefined) out.messageId = '*';
  if (p.properties !== undefined) {
    const props = {};
    for (const k of Object.keys(p.properties).sort()) {
      if (DROPPED_PROPERTIES.has(k)) continue;
      const value = p.properties[k];
      // Binary properties (correlation data, authentication data) as text, to compare and to read.
      props[k] = OPAQUE_PROPERTIES.has(k) ? '*' : Buffer.isBuffer(value) ? `<bytes ${value.toString('hex')}>` : plain(value);
    }
    if (Object.keys(props).length > 0) out.properties = props;
  }
  return out;
}

/** A copy made of plain objects (mqtt-packet builds user properties on a null prototype). */
function plain(value) {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(plain);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}

/**
 * One message delivered through several overlapping subscriptions of one connection (MQTT 5,
 * one copy per subscription identifier) arrives as consecutive copies in an order neither
 * the specification nor either broker defines: compared sorted.
 */
function sortCopies(packets) {
  for (let i = 0; i < packets.length; ) {
    let j = i + 1;
    const same = (p) => p.cmd === 'publish' && packets[i].cmd === 'publish' && p.topic === packets[i].topic && p.payload === packets[i].payload;
    while (j < packets.length && same(packets[j])) j++;
    if (j - i > 1) packets.splice(i, j - i, ...packets.slice(i, j).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)));
    i = j;
  }
  return packets;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
