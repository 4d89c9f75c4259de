/**
 * Helpers for the MQTT wire tests (`test/mqtt/*`): a broker per test file, mqtt.js 5
 * clients for any protocol version over TCP or WebSocket (closed after the file),
 * message collectors, and a raw client that sends packets built with `mqtt-packet`'s
 * generator (or any bytes) and reads the broker's packets with its parser, for
 * malformed input and refusals that a well-behaved client would never send.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before } from 'node:test';
import { connect, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import { generate, parser, type Packet } from 'mqtt-packet';
import WebSocket from 'ws';
import { spawnBroker, type SpawnedBroker } from './spawn-broker.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let seq = 0;
/** A topic prefix unique to this process, so tests sharing a broker do not meet. */
export function uniq(prefix: string): string {
  return `${prefix}${process.pid}-${++seq}`;
}

export type TransportName = 'tcp' | 'ws';
export type Version = 3 | 4 | 5;

/** The matrix every protocol test runs over: MQTT 3.1.1 and 5.0, TCP and WebSocket. */
export const MATRIX: { transport: TransportName; version: 4 | 5; name: string }[] = [
  { transport: 'tcp', version: 4, name: 'MQTT 3.1.1 over TCP' },
  { transport: 'ws', version: 4, name: 'MQTT 3.1.1 over WebSocket' },
  { transport: 'tcp', version: 5, name: 'MQTT 5 over TCP' },
  { transport: 'ws', version: 5, name: 'MQTT 5 over WebSocket' },
];

export interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  dup: boolean;
  properties: Record<string, unknown> | undefined;
}

export interface Client {
  mqtt: MqttClient;
  received: Received[];
  /** Waits until `n` messages arrived (in total), returns them. */
  waitFor(n: number, ms?: number): Promise<Received[]>;
  connack: Record<string, unknown>;
}

export interface MqttBrokerHandle {
  readonly broker: SpawnedBroker;
  /** An mqtt.js client connected to the broker, collecting what it receives. */
  client(opts?: IClientOptions & { transport?: TransportName; version?: Version }): Promise<Client>;
  /** A raw client (TCP or WebSocket). */
  raw(transport?: TransportName): Promise<RawMqtt>;
  url(transport: TransportName): string;
}

/** One broker for the whole test file; every client is closed after it. */
export function mqttBroker(args: string[] = []): MqttBrokerHandle {
  let broker: SpawnedBroker | undefined;
  const clients: MqttClient[] = [];
  const raws: RawMqtt[] = [];
  before(async () => {
    broker = await spawnBroker(args);
  });
  after(async () => {
    for (const c of clients) c.end(true);
    for (const r of raws) r.destroy();
    await broker?.stop();
  });
  return connectors(() => broker!, clients, raws);
}

export interface RestartableBroker extends MqttBrokerHandle {
  /** Starts the broker on the file's data directory (again). */
  start(): Promise<SpawnedBroker>;
  /** Kills it (SIGKILL: no shutdown, what is not committed is lost; or `SIGTERM`, a graceful stop) and drops its clients. */
  crash(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A broker whose data directory outlives it, for tests that crash it and start it
 * again (one data directory for the whole file; every test starts the broker itself,
 * and whatever is left running is killed after each test).
 */
export function restartableBroker(args: string[] = []): RestartableBroker {
  const dataDir = mkdtempSync(join(tmpdir(), 'stompbox-mqtt-durable-'));
  let broker: SpawnedBroker | undefined;
  const clients: MqttClient[] = [];
  const raws: RawMqtt[] = [];
  const drop = () => {
    for (const c of clients.splice(0)) c.end(true);
    for (const r of raws.splice(0)) r.destroy();
  };
  const crash = async (signal: NodeJS.Signals = 'SIGKILL') => {
    drop();
    await broker?.stop(signal);
    broker = undefined;
  };
  afterEach(() => crash());
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  // Onto the connectors object itself: its `broker` getter must follow the restarts.
  return Object.assign(connectors(() => broker!, clients, raws), {
    async start() {
      broker = await spawnBroker(['--data-dir', dataDir, ...args]);
      return broker;
    },
    crash,
  });
}

/** URLs, mqtt.js clients and raw clients of the broker `current()` returns, remembered for closing. */
function connectors(current: () => SpawnedBroker, clients: MqttClient[], raws: RawMqtt[]): MqttBrokerHandle {
  const url = (t: TransportName) => (t === 'tcp' ? `mqtt://127.0.0.1:${current().mqttPort}` : current().mqttWsUrl);
  return {
    get broker() {
      return current();
    },
    url,
    async client(opts = {}) {
      const { transport = 'tcp', version = 4, ...rest } = opts;
      const c = await openClient(url(transport), { protocolVersion: version, reconnectPeriod: 0, connectTimeout: 5000, ...rest });
      clients.push(c.mqtt);
      return c;
    },
    async raw(transport = 'tcp') {
      const r = transport === 'tcp' ? await rawTcp(current().mqttPort) : await rawWs(current().mqttWsUrl);
      raws.push(r);
      return r;
    },
  };
}

/** Connects an mqtt.js client and resolves once CONNACK arrived (rejects on a refusal). */
export function openClient(url: string, opts: IClientOptions): Promise<Client> {
  return new Promise((resolve, reject) => {
    const m = connect(url, opts);
    const received: Received[] = [];
    const waiters: (() => void)[] = [];
    m.on('message', (topic, payload, packet) => {
      received.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain, dup: packet.dup, properties: packet.properties as Record<string, unknown> | undefined });
      for (const w of waiters.splice(0)) w();
    });
    const fail = (err: Error) => {
      m.end(true);
      reject(err);
    };
    m.once('error', fail);
    m.once('connect', (connack) => {
      m.off('error', fail);
      m.on('error', () => undefined);
      resolve({
        mqtt: m,
        received,
        connack: connack as unknown as Record<string, unknown>,
        async waitFor(n, ms = 3000) {
          const deadline = Date.now() + ms;
          while (received.length < n) {
            const left = deadline - Date.now();
            if (left <= 0) assert.fail(`expected ${n} messages within ${ms} ms, got ${received.length}: ${JSON.stringify(received.map((r) => `${r.topic} ${r.payload}`))}`);
            await new Promise<void>((r) => {
              const t = setTimeout(r, left);
              waiters.push(() => {
                clearTimeout(t);
                r();
              });
            });
          }
          return received;
        },
      });
    });
  });
}

/** Publishes and waits for the acknowledgement (QoS 1/2) or the write (QoS 0). */
export function pub(c: Client, topic: string, payload: string | Buffer, opts: IClientPublishOptions = {}): Promise<unknown> {
  return c.mqtt.publishAsync(topic, payload, opts);
}

/** Asserts that nothing more arrives within `ms`. */
export async function quiet(c: Client, ms = 200): Promise<void> {
  const n = c.received.length;
  await sleep(ms);
  assert.deepEqual(c.received.slice(n).map((r) => `${r.topic} ${r.payload}`), [], 'expected no more messages');
}

export const payloads = (rs: Received[]) => rs.map((r) => r.payload);

// --- raw client ---------------------------------------------------------------

export interface RawMqtt {
  /** Every packet received, in order. */
  packets: Packet[];
  /** Sends a packet built by mqtt-packet's generator for `version`. */
  send(p: Packet | Record<string, unknown>, version?: Version): void;
  /** Sends bytes as they are. */
  write(bytes: Buffer): void;
  /** The next received packet with this `cmd` (and matching `pred`), waiting up to `ms`. */
  next(cmd: string, ms?: number, pred?: (p: Packet) => boolean): Promise<Packet>;
  /** Resolves when the broker closed the connection. */
  closed: Promise<void>;
  isClosed(): boolean;
  /** The parser's protocol version for what the broker sends (set to 5 for MQTT 5 CONNACK and later). */
  version: Version;
  destroy(): void;
  /** The TCP socket (raw TCP clients only), e.g. to stop reading. */
  socket?: net.Socket;
  /** CONNECT with sensible defaults and wait for CONNACK. */
  connect(fields?: Record<string, unknown>, version?: Version): Promise<Packet>;
}

function makeRaw(write: (b: Buffer) => void, destroy: () => void): { raw: RawMqtt; feed(b: Buffer): void; ended(): void } {
  const packets: Packet[] = [];
  let taken = 0;
  let done = false;
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => (closedResolve = r));
  const waiters: (() => void)[] = [];
  let p = parser({ protocolVersion: 4 });
  const wire = () => {
    p.on('packet', (pk: Packet) => {
      packets.push(pk);
      for (const w of waiters.splice(0)) w();
    });
    p.on('error', (err: Error) => {
      packets.push({ cmd: 'error' as never, message: err.message } as unknown as Packet);
      for (const w of waiters.splice(0)) w();
    });
  };
  wire();
  const raw: RawMqtt = {
    packets,
    version: 4,
    send(pk, version) {
      const v = version ?? raw.version;
      write(generate(pk as Packet, { protocolVersion: v }));
    },
    write,
    async next(cmd, ms = 3000, pred) {
      const deadline = Date.now() + ms;
      for (;;) {
        for (let i = taken; i < packets.length; i++) {
          if (packets[i].cmd === cmd && (pred === undefined || pred(packets[i]))) {
            const [pk] = packets.splice(i, 1);
            return pk;
          }
        }
        const left = deadline - Date.now();
        if (left <= 0 || (done && !waiters.length && left <= 0)) {
          assert.fail(`expected ${cmd} within ${ms} ms; got [${packets.map((x) => x.cmd).join(', ')}]${done ? ' and the connection closed' : ''}`);
        }
        if (done) {
          assert.fail(`expected ${cmd}; the connection closed after [${packets.map((x) => x.cmd).join(', ')}]`);
        }
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
    },
    closed,
    isClosed: () => done,
    destroy,
    async connect(fields = {}, version = 4) {
      raw.version = version;
      if (version === 5) {
        p = parser({ protocolVersion: 5 });
        wire();
      }
      raw.send({ cmd: 'connect', protocolId: version === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: version, clean: true, clientId: uniq('raw'), keepalive: 0, ...fields }, version);
      return raw.next('connack');
    },
  };
  // mqtt-packet's parser learns MQTT 5 from a CONNECT; for what the broker sends we tell it.
  const feed = (b: Buffer) => {
    (p as unknown as { settings: { protocolVersion: number } }).settings = { protocolVersion: raw.version === 5 ? 5 : 4 };
    p.parse(b);
  };
  return {
    raw,
    feed,
    ended() {
      done = true;
      closedResolve();
      for (const w of waiters.splice(0)) w();
    },
  };
}

export function rawTcp(port: number): Promise<RawMqtt> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    const { raw, feed, ended } = makeRaw((b) => s.write(b), () => s.destroy());
    s.on('data', feed);
    s.on('close', ended);
    s.on('error', () => undefined);
    s.once('connect', () => resolve(Object.assign(raw, { socket: s })));
    s.once('error', reject);
  });
}

export function rawWs(url: string, protocols: string[] = ['mqtt']): Promise<RawMqtt> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    const { raw, feed, ended } = makeRaw((b) => ws.send(b), () => ws.terminate());
    ws.on('message', (d: Buffer) => feed(d));
    ws.on('close', ended);
    ws.on('error', () => undefined);
    ws.once('open', () => resolve(raw));
    ws.once('error', reject);
  });
}

/** The CONNACK's code, whichever version answered. */
export function connackCode(p: Packet): number {
  const c = p as unknown as { returnCode?: number; reasonCode?: number };
  return c.reasonCode ?? c.returnCode ?? -1;
}

/** Waits until the broker closes the raw connection. */
export async function closedWithin(r: RawMqtt, ms = 3000): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([
    r.closed,
    new Promise<void>((_, rej) => {
      t = setTimeout(() => rej(new Error(`the broker did not close the connection within ${ms} ms; got [${r.packets.map((x) => x.cmd).join(', ')}]`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}
