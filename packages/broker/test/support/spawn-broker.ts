/**
 * Starts the real `stompbox` CLI as a child process on free loopback ports and
 * parses the addresses it prints. Wire tests talk to it over real sockets; `stop()`
 * kills it by process id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface SpawnedBroker {
  pid: number;
  stompPort: number;
  httpPort: number;
  /** MQTT TCP port (-1 when the broker was started without MQTT). */
  mqttPort: number;
  wsUrl: string;
  /** MQTT over WebSocket: ws://127.0.0.1:<http>/mqtt */
  mqttWsUrl: string;
  process: ChildProcess;
  /** Everything the broker wrote to stderr (JSON log lines). */
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function spawnBroker(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<SpawnedBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stompbox-test-'));
  // MQTT on a free port too (never the default 1883: tests run in parallel).
  const mqttArgs = args.includes('--mqtt-port') ? [] : ['--mqtt-port', '0'];
  const child = spawn(process.execPath, [CLI, '--stomp-port', '0', '--http-port', '0', ...mqttArgs, '--data-dir', dataDir, '--log-level', 'warn', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const wantMqtt = !args.includes('--mqtt-port') || Number(args[args.indexOf('--mqtt-port') + 1]) >= 0;
  const ports = await new Promise<{ stomp: number; http: number; mqtt: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start: ${err}`)), 15000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const stomp = /tcp:\/\/[^\s]+:(\d+)/.exec(out);
      const http = /ws:\/\/[^\s]+:(\d+)\//.exec(out);
      const wantStomp = !args.includes('--stomp-port') || stomp !== null;
      const wantHttp = !args.includes('--http-port') || http !== null;
      const mqtt = /mqtt:\/\/[^\s]+:(\d+)/.exec(out);
      if (stomp && http && wantStomp && wantHttp && (mqtt !== null || !wantMqtt)) {
        clearTimeout(timer);
        resolve({ stomp: Number(stomp[1]), http: Number(http[1]), mqtt: mqtt === null ? -1 : Number(mqtt[1]) });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code}: ${err}`));
    });
  });
  return {
    pid: child.pid as number,
    stompPort: ports.stomp,
    httpPort: ports.http,
    mqttPort: ports.mqtt,
    wsUrl: `ws://127.0.0.1:${ports.http}/ws`,
    mqttWsUrl: `ws://127.0.0.1:${ports.http}/mqtt`,
    process: child,
    stderr: () => err,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid as number, signal);
      const code = await exited;
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
