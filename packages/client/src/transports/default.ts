/**
 * The main entry's default transport: the global WebSocket (browsers, uni-app's H5
 * target, Node 22+), looked up at connect(). Mini-programs have none: their entry
 * (`/mini-program`, and `lib/stompbox.min.js`) looks for `uni` and `wx` instead
 * (mini-program-default.ts), so that a page does not download adapters it cannot use.
 */
import { ClientErrorCodes, StompboxClientError } from '../errors.js';
import { webSocket } from './websocket.js';
import type { Transport } from './types.js';

export const noTransport = (): never => {
  throw new StompboxClientError(ClientErrorCodes.NO_TRANSPORT, 'no WebSocket here: pass a transport (mini-programs: @stompbox/client/mini-program)');
};

export const browserTransport: Transport = (url, protocols, h) => (typeof WebSocket === 'function' ? webSocket() : noTransport())(url, protocols, h);
