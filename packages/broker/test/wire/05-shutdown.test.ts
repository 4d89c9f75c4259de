/**
 * 05: the CLI's lifecycle: graceful shutdown on SIGTERM/SIGINT (clients told with an
 * ERROR frame, sockets closed, exit 0), `--help`, bad configuration (exit 2) and
 * startup failures such as a port in use (exit 1).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OPTIONS } from '../../src/config.js';
import { spawnBroker, type SpawnedBroker } from '../support/spawn-broker.js';
import { errorThenClose, headerOf as h, roundTrip, runCli, stompConnect, tcpPeer, within, wsPeer } from '../support/wire.js';

describe('05 shutdown and the command line', { concurrency: true }, () => {
  describe('signals', () => {
    test('SIGTERM: every connected client gets ERROR (shutting down) and a close; exit 0 in a few seconds', async () => {
      const broker = await spawnBroker();
      try {
        const tcp = await tcpPeer(broker.stompPort);
        await stompConnect(tcp);
        await roundTrip(tcp, 'SUBSCRIBE', { destination: '/queue/stay', id: 'q' });
        const ws = await wsPeer(broker.wsUrl);
        await stompConnect(ws);
        const v10 = await tcpPeer(broker.stompPort);
        v10.send('CONNECT', { host: '/' });
        await v10.next('CONNECTED');
        const unconnected = await tcpPeer(broker.stompPort);

        const started = Date.now();
        const exit = broker.stop('SIGTERM');
        for (const c of [tcp, ws, v10]) {
          const err = await errorThenClose(c, 4000);
          assert.match(h(err.headers, 'message') ?? '', /shutting down/i);
        }
        assert.equal(ws.closeCode, 1001, 'WebSocket closes with 1001 going away');
        await within(unconnected.closed, 4000, 'the not-yet-connected socket to close');
        assert.equal(await within(exit, 5000, 'the broker to exit'), 0);
        assert.ok(Date.now() - started < 5000, `shutdown took ${Date.now() - started} ms`);
      } finally {
        await broker.stop('SIGKILL');
      }
    });

    test('SIGINT shuts down the same way (exit 0)', async () => {
      const broker = await spawnBroker();
      try {
        const c = await tcpPeer(broker.stompPort);
        await stompConnect(c);
        const exit = broker.stop('SIGINT');
        assert.match(h((await errorThenClose(c, 4000)).headers, 'message') ?? '', /shutting down/i);
        assert.equal(await within(exit, 5000, 'the broker to exit'), 0);
      } finally {
        await broker.stop('SIGKILL');
      }
    });

    test('a client that never closes its side does not hold up the exit', async () => {
      const broker = await spawnBroker(['--shutdown-timeout-ms', '8000']);
      try {
        const stubborn = await tcpPeer(broker.stompPort, { allowHalfOpen: true });
        await stompConnect(stubborn);
        const started = Date.now();
        assert.equal(await within(broker.stop('SIGTERM'), 6000, 'the broker to exit'), 0);
        assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
        assert.ok(stubborn.frames.some((f) => f.command === 'ERROR'), 'the ERROR was still sent');
        stubborn.socket.destroy();
      } finally {
        await broker.stop('SIGKILL');
      }
    });

    test('an idle broker exits 0 promptly on SIGTERM', async () => {
      const broker = await spawnBroker();
      const started = Date.now();
      assert.equal(await within(broker.stop('SIGTERM'), 5000, 'the broker to exit'), 0);
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    });
  });

  describe('command line', () => {
    test('--help exits 0 and lists every flag', async () => {
      const r = await runCli(['--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Usage: stompbox/);
      for (const flag of ['--config', '--print-config', '--help', '--version', ...OPTIONS.map((o) => o.flag)]) {
        assert.ok(r.stdout.includes(flag), `--help does not mention ${flag}`);
      }
      for (const flag of ['--stomp-port', '--http-port', '--users', '--heartbeat-send-ms', '--max-frame-size', '--connect-timeout-ms', '--shutdown-timeout-ms']) {
        assert.ok(r.stdout.includes(flag), `--help does not mention ${flag}`);
      }
      assert.equal(r.stderr, '');
    });

    test('--version prints the version and exits 0', async () => {
      const r = await runCli(['--version']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
    });

    for (const [args, names] of [
      [['--stomp-port', 'abc'], /stompPort/],
      [['--heartbeat-tolerance', '0.5'], /heartbeatTolerance/],
      [['--log-level', 'loud'], /logLevel/],
      [['--users', 'nocolon'], /users/],
      [['--no-such-flag', '1'], /--no-such-flag/],
      [['--stomp-port'], /--stomp-port/],
    ] as const) {
      test(`bad configuration ${args.join(' ')} exits 2 with "stompbox:" on stderr`, async () => {
        const r = await runCli([...args]);
        assert.equal(r.code, 2, `exit ${r.code}, stderr ${r.stderr}`);
        assert.match(r.stderr, /^stompbox: /);
        assert.match(r.stderr, names);
        assert.equal(r.stdout, '', 'nothing on stdout');
      });
    }

    test('--max-frame-size below the default header-line limit works alone (the line limit follows it)', async () => {
      const r = await runCli(['--max-frame-size', '2048', '--print-config']);
      assert.equal(r.code, 0, r.stderr);
      const printed = JSON.parse(r.stdout) as { maxFrameSize: number; maxHeaderLength: number };
      assert.equal(printed.maxFrameSize, 2048);
      assert.ok(printed.maxHeaderLength <= 2048);
    });

    test('a bad environment variable value exits 2 too', async () => {
      const r = await runCli(['--stomp-port', '0', '--http-port', '0'], { env: { STOMPBOX_MAX_HEADERS: 'many' } });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^stompbox: .*STOMPBOX_MAX_HEADERS/);
    });
  });

  describe('ports in use', () => {
    let first: SpawnedBroker;
    before(async () => {
      first = await spawnBroker();
    });
    after(async () => {
      await first?.stop();
    });

    test('the same STOMP port twice: the second exits 1 with a clear message', async () => {
      const r = await runCli(['--stomp-port', String(first.stompPort), '--http-port', '0']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^stompbox: /m);
      assert.match(r.stderr, new RegExp(`${first.stompPort}.*address already in use`));
      assert.equal(r.stdout, '');
      // The first one is unharmed.
      const c = await tcpPeer(first.stompPort);
      await stompConnect(c);
      c.close();
    });

    test('the same HTTP port twice: the second exits 1 with a clear message', async () => {
      const r = await runCli(['--stomp-port', '0', '--http-port', String(first.httpPort)]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`${first.httpPort}.*address already in use`));
      assert.equal(r.stdout, '');
    });
  });
});
