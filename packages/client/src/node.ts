/**
 * Node.js entry: everything of the main entry, the TCP/TLS and `ws` transports, and a
 * Client whose default transport picks by URL scheme (ws/wss through `ws`, tcp/tls
 * through node:net and node:tls).
 */
import { Client as BaseClient, type ClientOptions } from './client.js';
import { nodeWebSocket } from './transports/node-ws.js';
import { tcp } from './transports/tcp.js';
import type { Transport } from './transports/types.js';

export * from './index.js';
export { tcp } from './transports/tcp.js';
export { nodeWebSocket } from './transports/node-ws.js';

export function nodeTransport(options: { tls?: Parameters<typeof tcp>[0]; ws?: Parameters<typeof nodeWebSocket>[0] } = {}): Transport {
  const stream = tcp(options.tls);
  const ws = nodeWebSocket(options.ws);
  return (url, protocols, h) => (/^wss?:/i.test(url) ? ws : stream)(url, protocols, h);
}

export class Client extends BaseClient {
  constructor(options: ClientOptions) {
    super(options, nodeTransport());
  }
}
