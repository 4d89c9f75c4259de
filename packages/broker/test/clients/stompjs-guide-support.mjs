// The set-up shared by the stompjs 2.3.3 guide tests (stompjs-guide-*.test.mjs): the
// brokers, the guide's credentials, and clients by transport whose debug output and
// receipts are kept. Not a test file itself (no `.test.` in the name).
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawnBroker } from '../../dist/test/support/spawn-broker.js';
import { brokerSessions, inbox, unique, waitFor, within } from './helpers.mjs';

const require = createRequire(import.meta.url);
// Stomp with .over, .client, .overTCP, .overWS: stompjs 2.3.3, or a module exporting a
// `Stomp` that claims to replace it (the client package runs these tests on its facade).
export const Stomp = process.env.STOMPBOX_TEST_STOMPJS_MODULE ? require(process.env.STOMPBOX_TEST_STOMPJS_MODULE).Stomp : require('stompjs');

export const LOGIN = 'mylogin';
export const PASSCODE = 'mypasscode';

/** The same set of tests runs over each transport. */
export const KINDS = ['tcp', 'ws'];
export const suiteName = (kind) => `stompjs 2.3.3 guide over ${kind === 'tcp' ? 'TCP (Stomp.overTCP)' : 'WebSocket (Stomp.overWS)'}`;

const clients = new Set();

/**
 * Starts the brokers before the file's tests and stops them after (disconnecting every
 * tracked client first). `main` requires logins (the guide always passes mylogin/mypasscode)
 * and has default heart-beats (10 s); with `heartbeats`, `hb` is anonymous and offers and
 * wants heart-beats every 100 ms (heart-beat:100,100 in CONNECTED). `hb` allows 2 x the
 * interval of silence, as stompjs does the other way: at the default 1.5 x, 100 ms beats
 * leave 50 ms of slack, less than a loaded 2-core machine's scheduling hiccups, and these
 * tests are about the client's beats (the broker's own limit is tested in wire/03).
 */
export function guideBrokers({ heartbeats = false } = {}) {
  const brokers = { main: undefined, hb: undefined };
  before(async () => {
    [brokers.main, brokers.hb] = await Promise.all([
      spawnBroker(['--users', `${LOGIN}:${PASSCODE}`]),
      heartbeats ? spawnBroker(['--heartbeat-send-ms', '100', '--heartbeat-receive-ms', '100', '--heartbeat-tolerance', '2']) : undefined,
    ]);
  });
  after(async () => {
    for (const c of clients) if (c.connected) c.disconnect();
    await Promise.all([brokers.main?.stop(), brokers.hb?.stop()]);
  });
  return brokers;
}

const transports = {
  tcp: (b) => Stomp.overTCP('127.0.0.1', b.stompPort),
  ws: (b) => Stomp.overWS(b.wsUrl),
};

/** A client whose debug output is kept in `client.log` and whose receipts land in `client.receipts`. */
export function track(client) {
  client.log = [];
  client.debug = (str) => client.log.push(str);
  client.receipts = inbox('receipt');
  client.onreceipt = client.receipts.cb;
  clients.add(client);
  return client;
}

/**
 * The guide's clients over transport `kind`, on `brokers.main` unless given another broker:
 * `make` a tracked client, `connected` one (by the guide's 4-argument form),
 * `sessionsBack(n)` waits until the broker has `n` sessions (a closed client's cleanup is done),
 * and `nextConsumer(c, dest, n)` disconnects `c` and, once the broker is back to `n` sessions,
 * subscribes a new connected client `c2` to `dest`, its deliveries going to the inbox `rest`.
 */
export function guideClients(kind, brokers) {
  const make = (b = brokers.main) => track(transports[kind](b));

  async function connected(b = brokers.main) {
    const c = make(b);
    await connecting((ok, err) => c.connect(LOGIN, PASSCODE, ok, err));
    return c;
  }

  const sessionsBack = (n) => waitFor(async () => (await brokerSessions(brokers.main)) === n, 3000, `${n} broker sessions`);

  async function nextConsumer(c, dest, sessions) {
    c.disconnect();
    await sessionsBack(sessions);
    const c2 = await connected();
    const rest = inbox();
    c2.subscribe(dest, rest.cb);
    return { c2, rest };
  }

  return { make, connected, sessionsBack, nextConsumer };
}

export function describeError(e) {
  return typeof e === 'string' ? e : `${e.command} ${JSON.stringify(e.headers)} ${e.body}`;
}

/** Runs `call(onConnect, onError)` and resolves with the CONNECTED frame. */
export function connecting(call, what = 'CONNECTED') {
  return within(
    new Promise((resolve, reject) => call(resolve, (e) => reject(new Error(`connect failed: ${describeError(e)}`)))),
    5000,
    what,
  );
}

/** Waits for the RECEIPT with this id (frames on one connection are processed in order). */
export async function receiptOf(client, id) {
  for (;;) {
    const f = await client.receipts.next(3000);
    if (f.headers['receipt-id'] === id) return f;
  }
}

/** A marker SEND with a receipt: when it comes back, every earlier frame of this client was handled. */
export async function sync(client) {
  const id = unique('sync');
  client.send(`/topic/${id}`, { receipt: id }, '');
  await receiptOf(client, id);
}

/** Subscribes `client` to `dest`, sends `body` there and checks that it arrives. */
export async function roundTrip(client, dest, body) {
  const box = inbox();
  client.subscribe(dest, box.cb);
  client.send(dest, {}, body);
  assert.equal((await box.next()).body, body);
}
