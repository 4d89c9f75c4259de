/**
 * A private redis-server (Debian's, /usr/bin/redis-server) for the cluster tests: bound
 * to 127.0.0.1 on a free port, its files in a temp directory, no snapshots; stopped by
 * process id. In CI it must be there (.ci/run installs it); elsewhere the tests that need
 * it say they skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = '/usr/bin/redis-server';

/** Why the Redis tests cannot run here, or undefined when they can. */
export function redisMissing(): string | undefined {
  if (existsSync(REDIS_SERVER)) return undefined;
  const why = 'redis-server not installed (apt-get install redis-server)';
  if (process.env.CI === 'true') throw new Error(`${why}: CI must run the cluster tests`);
  return why;
}

export interface RedisProcess {
  port: number;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startRedis(extra: string[] = []): Promise<RedisProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'stompbox-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(REDIS_SERVER, ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${port}: ${out}`)), 10_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${out}`));
    });
  });
  const pid = child.pid as number;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(pid, 'SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
