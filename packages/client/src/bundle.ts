/**
 * The single-file build (`lib/stompbox.min.js`), for a page's <script> tag and for
 * copying into a mini-program: the SDK with a Client that finds uni, wx or WebSocket,
 * and the stompjs facade.
 */
import { Client as BaseClient, type ClientOptions } from './client.js';
import { browserTransport } from './transports/default.js';
import { miniProgramTransport } from './transports/mini-program-default.js';

export * from './index.js';
export { Stomp, CompatClient, StompFrame } from './compat/stompjs.js';

export class Client extends BaseClient {
  constructor(options: ClientOptions) {
    super(options, miniProgramTransport(browserTransport));
  }
}
