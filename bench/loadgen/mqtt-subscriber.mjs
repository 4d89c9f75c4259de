// MQTT subscriber worker thread: cfg.count MQTT 3.1.1 TCP connections, each
// subscribed to cfg.topic at cfg.qos, reading PUBLISH packets straight from the
// bytes (no strings), acknowledging QoS 1 ones (one write per connection per read),
// and checking every (connection, publisher) stream for loss, order and duplicates.
import net from 'node:net';
import { parentPort } from 'node:worker_threads';
import { SeqTracker, readBody } from './stats.mjs';
import { DISCONNECT, PacketReader, connectPacket, subscribePacket } from './mqtt-packets.mjs';

const DELIVERED = 0;

let cfg;
let ctr;
const conns = [];

function open(i) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port: cfg.port, host: '127.0.0.1', noDelay: true });
    const c = { socket, tracker: new SeqTracker(), closed: false, acks: [] };
    const body = {};
    let pending = 0;
    let step = 0;
    const reader = new PacketReader((type, flags, buf, s, e) => {
      if (type === 3) {
        const topicLen = (buf[s] << 8) | buf[s + 1];
        let p = s + 2 + topicLen;
        if ((flags & 0x06) !== 0) {
          c.acks.push(0x40, 2, buf[p], buf[p + 1]);
          p += 2;
        }
        if (readBody(buf, p, e, body)) c.tracker.add(body.serial);
        pending++;
      } else if (type === 2 && step === 0) {
        step = 1;
        socket.write(subscribePacket(1, cfg.topic, cfg.qos));
      } else if (type === 9 && step === 1) {
        step = 2;
        resolve(c);
      }
    });
    socket.on('data', (d) => {
      reader.push(d);
      if (c.acks.length > 0) {
        socket.write(Buffer.from(c.acks));
        c.acks.length = 0;
      }
      if (pending > 0) {
        Atomics.add(ctr, DELIVERED, pending);
        pending = 0;
      }
    });
    socket.on('close', () => { c.closed = true; });
    socket.on('error', (err) => { if (step < 2) reject(err); });
    socket.once('connect', () => socket.write(connectPacket(`bench-sub-${process.pid}-${cfg.first + i}`, cfg.clean !== false)));
  });
}

parentPort.on('message', async (msg) => {
  try {
    if (msg.type === 'start') {
      cfg = msg.cfg;
      ctr = new Int32Array(msg.sab);
      for (let i = 0; i < cfg.count; i += 100) {
        const batch = [];
        for (let k = i; k < Math.min(cfg.count, i + 100); k++) batch.push(open(k));
        conns.push(...(await Promise.all(batch)));
      }
      parentPort.postMessage({ type: 'ready' });
    } else if (msg.type === 'stop') {
      let received = 0, unique = 0, duplicates = 0, outOfOrder = 0, lost = 0, closed = 0;
      for (const c of conns) {
        received += c.tracker.received;
        unique += c.tracker.unique;
        duplicates += c.tracker.duplicates;
        outOfOrder += c.tracker.outOfOrder;
        lost += c.tracker.lost(msg.sent);
        if (c.closed) closed++;
        c.socket.end(DISCONNECT);
      }
      parentPort.postMessage({ type: 'done', received, unique, duplicates, outOfOrder, lost, closed });
    }
  } catch (e) {
    parentPort.postMessage({ type: 'error', error: e.message });
  }
});
