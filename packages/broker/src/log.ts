/**
 * The broker's logger: pino, JSON lines on stderr (stdout belongs to the
 * CLI's address lines). `logPretty` uses pino-pretty when it is installed
 * and otherwise keeps JSON; Stompbox does not depend on it.
 */
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { BrokerConfig } from './config.js';

export type Logger = PinoLogger;

export interface CreateLoggerOptions {
  /** where JSON lines go; default: stderr (fd 2), written synchronously */
  destination?: DestinationStream;
  /** logger name, default "stompbox" */
  name?: string;
}

function hasPinoPretty(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

export function createLogger(
  config: Pick<BrokerConfig, 'logLevel' | 'logPretty'>,
  options: CreateLoggerOptions = {},
): Logger {
  const opts = { name: options.name ?? 'stompbox', level: config.logLevel };
  if (options.destination) return pino(opts, options.destination);
  if (config.logPretty && hasPinoPretty()) {
    return pino(opts, pino.transport({ target: 'pino-pretty', options: { destination: 2 } }));
  }
  return pino(opts, pino.destination({ dest: 2, sync: true }));
}
