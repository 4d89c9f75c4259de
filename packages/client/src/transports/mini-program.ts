/**
 * The SocketTask API shared by WeChat (`wx.connectSocket`) and uni-app
 * (`uni.connectSocket`). Each connection keeps its own task: no module-level socket,
 * unlike the single-socket `wx.onSocketX` API the articles wrap (a second page would
 * steal the first page's socket). The task is closed whenever the session gives up on
 * it, since WeChat allows only five sockets at a time.
 */
import { utf8Decode } from '../utf8.js';
import { toArrayBuffer, type Transport } from './types.js';

export interface SocketTask {
  onOpen(cb: (res?: unknown) => void): void;
  onMessage(cb: (res: { data: string | ArrayBuffer }) => void): void;
  onClose(cb: (res?: { code?: number; reason?: string }) => void): void;
  onError(cb: (res?: { errMsg?: string }) => void): void;
  send(opts: { data: string | ArrayBuffer; fail?: (res?: { errMsg?: string }) => void }): void;
  close(opts?: { code?: number; reason?: string }): void;
}

export interface SocketOptions {
  url: string;
  protocols?: string[];
  header?: Record<string, string>;
  success?: (res?: unknown) => void;
  fail?: (res?: { errMsg?: string }) => void;
  complete?: (res?: unknown) => void;
}

export interface MiniProgramApi {
  connectSocket(options: SocketOptions): SocketTask | undefined;
}

/** `header`: extra HTTP headers of the WebSocket handshake (a token, a cookie). */
export function socketTaskTransport(api: () => MiniProgramApi, header?: Record<string, string>): Transport {
  return (url, protocols, h) => {
    let dead = false;
    const fail = (res?: { errMsg?: string }) => {
      if (!dead) h.onClose(1006, res?.errMsg ?? 'connectSocket failed');
      dead = true;
    };
    // uni-app returns the task only when a callback is given; WeChat always does.
    const task = api().connectSocket({ url, protocols, header, fail, complete: () => undefined });
    if (task === undefined) {
      Promise.resolve().then(() => fail({ errMsg: 'connectSocket returned no task' }));
    } else {
      task.onOpen(() => h.onOpen());
      task.onMessage((res) => h.onData(res.data));
      task.onClose((res) => h.onClose(res?.code ?? 1006, res?.reason ?? ''));
      task.onError(fail);
    }
    return {
      messages: true,
      send: (frame, binary) => task?.send({ data: binary ? toArrayBuffer(frame) : utf8Decode(frame), fail }),
      close: () => task?.close({ code: 1000 }),
    };
  };
}
