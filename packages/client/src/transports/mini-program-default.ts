/**
 * The mini-program entry's default transport, chosen at connect(): uni-app first (it
 * runs inside WeChat too), then WeChat, then `otherwise` (the single file falls back to
 * WebSocket for pages). Globals are tested by name (`typeof wx`), not through
 * `globalThis`: mini-program runtimes inject `wx` and `uni` as plain globals.
 */
import { socketTaskTransport, type MiniProgramApi } from './mini-program.js';
import { noTransport } from './default.js';
import type { Transport } from './types.js';

declare const uni: MiniProgramApi | undefined;
declare const wx: MiniProgramApi | undefined;

export function miniProgramTransport(otherwise: Transport = noTransport): Transport {
  return (url, protocols, h) => {
    const api =
      typeof uni === 'object' && typeof uni?.connectSocket === 'function' ? uni : typeof wx === 'object' && typeof wx?.connectSocket === 'function' ? wx : undefined;
    return (api ? socketTaskTransport(() => api) : otherwise)(url, protocols, h);
  };
}
