/**
 * The facade as `require('stompjs')` gives it in Node.js: `Stomp.overTCP(host, port)`
 * and `Stomp.overWS(url)` besides `client` and `over`.
 */
import { nodeWebSocket } from '../transports/node-ws.js';
import { tcp } from '../transports/tcp.js';
import { CompatClient, Stomp as BrowserStomp } from './stompjs.js';

export { CompatClient, StompFrame, overSocket } from './stompjs.js';

export const Stomp = Object.assign(BrowserStomp, {
  overTCP(host: string, port: number): CompatClient {
    // stompjs 2.3.3 names the socket 'tcp:// host:port' (with the space); its error string keeps it.
    return new CompatClient({ url: `tcp:// ${host}:${port}` }, (_url, p, h) => tcp()(`tcp://${host.includes(':') ? `[${host}]` : host}:${port}`, p, h));
  },
  overWS(url: string): CompatClient {
    return new CompatClient({ url }, nodeWebSocket());
  },
});
