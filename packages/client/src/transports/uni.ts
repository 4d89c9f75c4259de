/**
 * uni-app on every target (mini-programs, App, H5): `uni.connectSocket`, which returns
 * its SocketTask only when given a callback (the shared adapter always passes one).
 */
import { socketTaskTransport, type MiniProgramApi } from './mini-program.js';
import type { Transport } from './types.js';

declare const uni: MiniProgramApi;

export function uniApp(options: { api?: MiniProgramApi; header?: Record<string, string> } = {}): Transport {
  return socketTaskTransport(() => options.api ?? uni, options.header);
}
