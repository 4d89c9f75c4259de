/**
 * The transport of the platform: uni-app first (it runs inside WeChat too), then
 * WeChat, then WebSocket. Globals are tested by name (`typeof wx`), not through
 * `globalThis`: mini-program runtimes inject `wx` and `uni` as plain globals.
 */
import { ClientErrorCodes, StompboxClientError } from '../errors.js';
import type { MiniProgramApi } from './mini-program.js';
import { uniApp } from './uni.js';
import { wechat } from './wechat.js';
import { webSocket } from './websocket.js';
import type { Transport } from './types.js';

declare const uni: MiniProgramApi | undefined;
declare const wx: MiniProgramApi | undefined;

export function defaultTransport(): Transport {
  if (typeof uni === 'object' && typeof uni?.connectSocket === 'function') return uniApp();
  if (typeof wx === 'object' && typeof wx?.connectSocket === 'function') return wechat();
  if (typeof WebSocket === 'function') return webSocket();
  throw new StompboxClientError(ClientErrorCodes.NO_TRANSPORT, 'no uni, wx or WebSocket here: pass a transport');
}
