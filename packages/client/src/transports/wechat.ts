/** WeChat mini-programs: `wx.connectSocket`, one SocketTask per connection. */
import { socketTaskTransport, type MiniProgramApi } from './mini-program.js';
import type { Transport } from './types.js';

declare const wx: MiniProgramApi;

export function wechat(options: { api?: MiniProgramApi; header?: Record<string, string> } = {}): Transport {
  return socketTaskTransport(() => options.api ?? wx, options.header);
}
