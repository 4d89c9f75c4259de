/**
 * 03: heart-beating (STOMP 1.2 §"Heart-beating") with a broker offering 200,200.
 * Server beats are counted as raw `\n` bytes on a plain TCP socket (a STOMP decoder
 * would swallow them); a silent client must be dropped, a beating one kept.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { spawnBroker, type SpawnedBroker } from '../support/spawn-broker.js';
import { delay, errorThenClose, headerOf as h, roundTrip, stompConnect, tcpPeer } from '../support/wire.js';

interface BeatSocket {
  socket: net.Socket;
  /** The CONNECTED frame's heart-beat header. */
  heartBeat: string;
  /** Arrival time of every byte after CONNECTED's NUL, with the byte. */
  bytes: { at: number; byte: number }[];
  closed: Promise<void>;
}

/** Connects with a plain socket, CONNECTs with `heartBeat`, and records every byte after CONNECTED. */
function beatSocket(port: number, heartBeat: string): Promise<BeatSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    const bytes: { at: number; byte: number }[] = [];
    let head = Buffer.alloc(0);
    let done = false;
    let skipEol = false;
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      const at = Date.now();
      if (!done) {
        head = Buffer.concat([head, d]);
        const nul = head.indexOf(0);
        if (nul === -1) return;
        done = true;
        const text = head.subarray(0, nul).toString();
        assert.match(text, /^CONNECTED\n/);
        const hb = /\nheart-beat:([^\n]*)\n/.exec(text);
        // The EOL right after CONNECTED's NUL ends that frame (every frame ends NUL EOL, as
        // RabbitMQ's do): it is not a heart-beat.
        const rest = head.subarray(head[nul + 1] === 10 ? nul + 2 : nul + 1);
        if (head.length === nul + 1) skipEol = true;
        for (const byte of rest) bytes.push({ at, byte });
        resolve({ socket, heartBeat: hb ? hb[1] : '', bytes, closed });
        return;
      }
      let from = 0;
      if (skipEol) {
        skipEol = false;
        if (d[0] === 10) from = 1;
      }
      for (const byte of d.subarray(from)) bytes.push({ at, byte });
    });
    socket.write(`CONNECT\naccept-version:1.2\nhost:/\nheart-beat:${heartBeat}\n\n\0`);
  });
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]);
}

// Tests are timing-bound and independent (one connection each): run them concurrently.
const concurrent = { concurrency: true };

describe('03 heart-beat (--heartbeat-send-ms 200 --heartbeat-receive-ms 200)', concurrent, () => {
  let broker: SpawnedBroker;
  before(async () => {
    broker = await spawnBroker(['--heartbeat-send-ms', '200', '--heartbeat-receive-ms', '200']);
  });
  after(async () => {
    await broker?.stop();
  });

  describe('negotiation', concurrent, () => {
    for (const offer of ['0,0', '0,200', '200,0', '1000,50', '5,5']) {
      test(`CONNECTED says the server's own 200,200 to a client offering ${offer}`, async () => {
        const c = await tcpPeer(broker.stompPort);
        const f = await stompConnect(c, { 'heart-beat': offer });
        assert.equal(h(f.headers, 'heart-beat'), '200,200');
        c.close();
      });
    }

    test('a client wanting beats every 500 ms gets them every ~500 ms, not 200 (max(sx, cy))', async () => {
      const s = await beatSocket(broker.stompPort, '0,500');
      await delay(1300);
      s.socket.destroy();
      const times = s.bytes.map((b) => b.at);
      assert.ok(s.bytes.every((b) => b.byte === 10), 'only EOLs when idle');
      assert.ok(times.length >= 2 && times.length <= 3, `expected 2-3 beats in 1.3 s, got ${times.length}`);
      for (const g of gaps(times)) assert.ok(g >= 400 && g <= 650, `gap ${g} ms`);
    });

    test('a STOMP 1.0 client gets no heart-beats (1.0 has none)', async () => {
      const t = await tcpPeer(broker.stompPort);
      t.send('CONNECT', { host: '/', 'heart-beat': '200,200' });
      const f = await t.next('CONNECTED');
      assert.equal(h(f.headers, 'version') ?? '1.0', '1.0');
      const before = t.arrivals.length;
      await delay(700);
      assert.equal(t.arrivals.length, before, 'no bytes at all');
      assert.equal(t.isClosed(), false, 'and no heart-beat timeout either');
      t.close();
    });
  });

  describe('server to client', concurrent, () => {
    test('heart-beat 0,200: an idle client gets an EOL at least every ~200 ms', async () => {
      const s = await beatSocket(broker.stompPort, '0,200');
      const start = Date.now();
      await delay(1100);
      s.socket.destroy();
      assert.ok(s.bytes.length > 0, 'no heart-beats at all');
      assert.ok(s.bytes.every((b) => b.byte === 10), `only \\n bytes expected, got ${JSON.stringify(Buffer.from(s.bytes.map((b) => b.byte)).toString())}`);
      const times = s.bytes.map((b) => b.at);
      assert.ok(times.length >= 4 && times.length <= 8, `expected ~5 beats in 1.1 s, got ${times.length}`);
      assert.ok(times[0] - start <= 300, `first beat after ${times[0] - start} ms`);
      for (const g of gaps(times)) assert.ok(g <= 300, `gap of ${g} ms between beats (interval 200)`);
    });

    test('no beats while frames are flowing (any frame counts as a beat)', async () => {
      const c = await tcpPeer(broker.stompPort);
      await stompConnect(c, { 'heart-beat': '0,200' });
      await roundTrip(c, 'SUBSCRIBE', { destination: '/topic/hb-busy', id: 'b' });
      const pub = await tcpPeer(broker.stompPort);
      await stompConnect(pub);
      const from = c.arrivals.length;
      for (let i = 0; i < 10; i++) {
        pub.send('SEND', { destination: '/topic/hb-busy' }, `m${i}`);
        await delay(60);
      }
      await c.next('MESSAGE', (f) => Buffer.from(f.body).toString() === 'm9');
      const raw = Buffer.concat(c.arrivals.slice(from).map((a) => a.data));
      // Every chunk should start with MESSAGE; a stray lone "\n" chunk means a needless beat.
      const lone = c.arrivals.slice(from).filter((a) => a.data.length === 1 && a.data[0] === 10).length;
      assert.ok(lone <= 1, `${lone} heart-beats while messages flowed every 60 ms (${raw.length} bytes)`);
      c.close();
      pub.close();
    });

    test('heart-beat 0,0: no beats at all', async () => {
      const s = await beatSocket(broker.stompPort, '0,0');
      await delay(700);
      assert.equal(s.bytes.length, 0);
      s.socket.destroy();
    });
  });

  describe('client to server', concurrent, () => {
    test('heart-beat 200,0 then silence: ERROR and close after about 1.5 x 200 ms', async () => {
      const c = await tcpPeer(broker.stompPort);
      await stompConnect(c, { 'heart-beat': '200,0' });
      const start = Date.now();
      const err = await errorThenClose(c, 3000);
      const took = (c.closedAt as number) - start;
      assert.match(h(err.headers, 'message') ?? '', /heart-beat/i);
      assert.ok(took >= 250, `dropped too early: ${took} ms (interval 200 x tolerance 1.5 = 300)`);
      assert.ok(took <= 500, `dropped too late: ${took} ms (silent for tolerance 1.5 x 200 = 300 ms should be enough)`);
    });

    test('heart-beat 200,0 and an EOL every 100 ms: stays connected', async () => {
      const c = await tcpPeer(broker.stompPort);
      await stompConnect(c, { 'heart-beat': '200,0' });
      const beat = setInterval(() => c.write('\n'), 100);
      try {
        await delay(1200);
        assert.equal(c.isClosed(), false, 'a beating client was dropped');
        await roundTrip(c, 'SUBSCRIBE', { destination: '/topic/hb-alive', id: 'a' });
      } finally {
        clearInterval(beat);
      }
      assert.ok(c.frames.every((f) => f.command !== 'ERROR'));
      c.close();
    });

    test('CR-LF heart-beats count too', async () => {
      const c = await tcpPeer(broker.stompPort);
      await stompConnect(c, { 'heart-beat': '200,0' });
      const beat = setInterval(() => c.write('\r\n'), 100);
      try {
        await delay(900);
        assert.equal(c.isClosed(), false);
      } finally {
        clearInterval(beat);
      }
      c.close();
    });

    test('frames count as beats: a client sending a frame every 100 ms stays connected', async () => {
      const c = await tcpPeer(broker.stompPort);
      await stompConnect(c, { 'heart-beat': '200,0' });
      for (let i = 0; i < 9; i++) {
        c.send('SEND', { destination: '/topic/hb-frames' }, `f${i}`);
        await delay(100);
      }
      assert.equal(c.isClosed(), false);
      c.close();
    });

    test('heart-beat 0,0 and silence: never dropped', async () => {
      const c = await tcpPeer(broker.stompPort);
      await stompConnect(c, { 'heart-beat': '0,0' });
      await delay(900);
      assert.equal(c.isClosed(), false);
      await roundTrip(c, 'SUBSCRIBE', { destination: '/topic/hb-quiet', id: 'q' });
      c.close();
    });
  });
});
