#!/usr/bin/env -S node --max-semi-space-size=4
// A 4 MB young generation: at 10,000 idle connections the default 16 MB semi-spaces
// were ~2 KB of committed-but-unused heap per connection, and throughput measured the
// same either way (bench/). `npm start` and the bench pass the same flag.
/**
 * The `stompbox` command. Stdout carries only machine-readable lines:
 *
 *   stompbox 0.1.0 listening
 *     stomp  tcp://127.0.0.1:61613
 *     ws     ws://127.0.0.1:15674/ws
 *     mqtt   ws://127.0.0.1:15674/mqtt
 *     http   http://127.0.0.1:15674/
 *     mqtt   mqtt://127.0.0.1:1883
 *
 * Logs go to stderr. Exit codes: 0 normal (incl. SIGINT/SIGTERM shutdown),
 * 1 startup failure or forced shutdown, 2 bad configuration.
 */
import { readFileSync } from 'node:fs';
import { startBroker, type ListenAddress, type RunningBroker } from './broker.js';
import { loadConfig, referenceConfig, type LoadedConfig } from './config.js';
import { ErrorCodes, StompboxError } from './errors.js';
import { createLogger, type Logger } from './log.js';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Writes `text` and exits once it is flushed (stdout/stderr may be async pipes); callers return right after. */
function writeAndExit(code: number, stream: NodeJS.WriteStream, text: string): void {
  process.exitCode = code;
  stream.write(text, () => process.exit(code));
}

const hostForUrl = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/** `wsPath` / `mqttWsPath`: the first configured STOMP / MQTT WebSocket path (`/ws`, `/mqtt` by default). */
function formatAddresses(version: string, addresses: readonly ListenAddress[], wsPath: string, mqttWsPath: string): string {
  const lines = [`stompbox ${version} listening`];
  const row = (label: string, url: string) => lines.push(`  ${label.padEnd(7)}${url}`);
  for (const a of addresses) {
    if (a.protocol === 'stomp') row('stomp', a.url);
    else if (a.protocol === 'mqtt') row('mqtt', a.url);
    else {
      row('ws', `ws://${hostForUrl(a.host)}:${a.port}${wsPath}`);
      if (mqttWsPath !== '') row('mqtt', `ws://${hostForUrl(a.host)}:${a.port}${mqttWsPath}`);
      row('http', a.url);
    }
  }
  return lines.join('\n') + '\n';
}

function describeStartupError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  const where = e?.address !== undefined ? ` ${hostForUrl(e.address)}:${e.port}` : '';
  if (e?.code === 'EADDRINUSE') return `cannot listen on${where}: address already in use`;
  if (e?.code === 'EACCES') return `cannot listen on${where}: permission denied`;
  if (e?.code === 'EADDRNOTAVAIL') return `cannot listen on${where}: address not available on this machine`;
  const msg = err instanceof Error ? err.message : String(err);
  return `failed to start: ${msg.split('\n')[0]}`;
}

function installSignalHandlers(broker: RunningBroker, logger: Logger, shutdownTimeoutMs: number): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal during shutdown, exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, shutdownTimeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ shutdownTimeoutMs }, 'shutdown timed out, forcing exit');
      process.exit(1);
    }, shutdownTimeoutMs);
    timer.unref();
    broker.close('shutting down').then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

async function main(): Promise<void> {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd() });
  } catch (err) {
    if (err instanceof StompboxError && err.code === ErrorCodes.BAD_CONFIG) return writeAndExit(2, process.stderr, `stompbox: ${err.message}\n`);
    throw err;
  }
  const version = readVersion();
  if (loaded.help !== undefined) return void process.stdout.write(loaded.help);
  if (loaded.version) return void process.stdout.write(`${version}\n`);
  if (loaded.printConfig) return void process.stdout.write(referenceConfig(loaded.config));

  const { config } = loaded;
  const logger = createLogger(config);
  for (const w of loaded.warnings) logger.warn(w);
  if (loaded.configFile) logger.info({ configFile: loaded.configFile }, 'loaded config file');

  let broker: RunningBroker;
  try {
    broker = await startBroker(config, logger);
  } catch (err) {
    logger.debug({ err }, 'startup failed');
    return writeAndExit(1, process.stderr, `stompbox: ${describeStartupError(err)}\n`);
  }
  installSignalHandlers(broker, logger, config.shutdownTimeoutMs);
  logger.info({ version, addresses: broker.addresses.map((a) => a.url) }, 'listening');
  process.stdout.write(formatAddresses(version, broker.addresses, config.stompWsPaths.split(',')[0].trim(), config.mqttWsPaths.split(',')[0].trim()));
}

main().catch((err: unknown) => {
  writeAndExit(1, process.stderr, `stompbox: ${err instanceof Error ? err.message : String(err)}\n`);
});
