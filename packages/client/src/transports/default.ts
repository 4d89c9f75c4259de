/** The transport of the platform: uni-app first (it runs inside WeChat too), then WeChat, then WebSocket. */
import { ClientErrorCodes, StompboxClientError } from '../errors.js';
import { uniApp } from './uni.js';
import { wechat } from './wechat.js';
import { webSocket } from './websocket.js';
import type { Transport } from './types.js';

export function defaultTransport(): Transport {
  const g = globalThis as unknown as Record<string, { connectSocket?: unknown } | undefined>;
  if (typeof g.uni?.connectSocket === 'function') return uniApp();
  if (typeof g.wx?.connectSocket === 'function') return wechat();
  if (typeof g.WebSocket === 'function') return webSocket();
  throw new StompboxClientError(ClientErrorCodes.NO_TRANSPORT, 'no uni, wx or WebSocket here: pass a transport');
}
