/**
 * Type tests: this file is compiled by `tsc -b` with the rest, so a public type that
 * changes shape breaks the build. `Equal` checks exact types; `@ts-expect-error` lines
 * check that misuse does not compile (tsc fails if they stop being errors). The run
 * time test only checks the file was built from the current sources.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Client,
  Message,
  StompboxClientError,
  Subscription,
  Transaction,
  webSocketFactory,
  wechat,
  uniApp,
  type ClientErrorCode,
  type ConnectionStatus,
  type GapEvent,
  type StreamPosition,
  type Transport,
} from '../src/index.js';
import { tcp, nodeWebSocket, Client as NodeClient } from '../src/node.js';
import { Stomp } from '../src/compat/stompjs-node.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expect = <T extends true>(_: T) => undefined;

function compileOnly(c: Client) {
  expect<Equal<ReturnType<Client['connect']>, Promise<void>>>(true);
  expect<Equal<ReturnType<Client['publish']>, Promise<void>>>(true);
  expect<Equal<ReturnType<Client['subscribe']>, Subscription>>(true);
  expect<Equal<ReturnType<Client['begin']>, Transaction>>(true);
  expect<Equal<Client['status'], ConnectionStatus>>(true);
  expect<Equal<Subscription['position'], StreamPosition | undefined>>(true);
  expect<Equal<StompboxClientError['code'], ClientErrorCode>>(true);
  expect<Equal<GapEvent['from'], StreamPosition>>(true);

  c.on('gap', (g) => expect<Equal<typeof g, GapEvent>>(true));
  c.on('status', (s) => expect<Equal<typeof s, ConnectionStatus>>(true));
  c.on('error', (e) => expect<Equal<typeof e, StompboxClientError>>(true));
  c.subscribe('/topic/x', (m) => {
    expect<Equal<typeof m, Message>>(true);
    expect<Equal<typeof m.body, string>>(true);
    expect<Equal<typeof m.binaryBody, Uint8Array>>(true);
    expect<Equal<typeof m.position, number | undefined>>(true);
    const quote = m.json<{ symbol: string }>();
    expect<Equal<typeof quote.symbol, string>>(true);
  }, { ack: 'client-individual', resume: { epoch: 'e', position: 3 }, onGap: (g) => g.reason });
  void (async () => {
    for await (const m of c.subscribe('/topic/y')) expect<Equal<typeof m, Message>>(true);
  });
  void c.publish('/queue/a', new Uint8Array(2), { headers: { priority: '9' }, receipt: false });

  // @ts-expect-error an unknown event
  c.on('message', () => undefined);
  // @ts-expect-error ack modes are STOMP's three
  c.subscribe('/q', () => undefined, { ack: 'manual' });
  // @ts-expect-error a body is a string or bytes
  void c.publish('/q', { json: true });
  // @ts-expect-error resume positions are numbers
  c.subscribe('/q', () => undefined, { resume: { epoch: 'e', position: '3' } });

  const transports: Transport[] = [tcp(), nodeWebSocket(), wechat(), uniApp(), webSocketFactory((url) => new WebSocket(url))];
  void new NodeClient({ urls: ['tcp://a:61613', 'ws://b/ws'], reconnect: { maxAttempts: 3 }, offlineQueue: { overflow: 'drop-oldest' } });
  void new Client({ url: 'ws://x', transport: transports[0], reconnect: false });

  const sc = Stomp.overTCP('localhost', 61613);
  sc.heartbeat.incoming = 0;
  sc.connect('login', 'pass', () => undefined, () => undefined, 'host');
  sc.subscribe('/q', (f) => f.ack?.({ transaction: 'tx' })).unsubscribe();
}

test('the type tests compiled (their assertions are checked by tsc)', () => {
  assert.equal(typeof compileOnly, 'function');
});
