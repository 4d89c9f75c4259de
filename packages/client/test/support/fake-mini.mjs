// Fake WeChat (`wx`) and uni-app (`uni`) socket APIs backed by real WebSockets (the
// `ws` package) to the started broker. Each connectSocket returns its own SocketTask,
// as both runtimes do (uni-app only when given a callback: see `uni`). Switches, as
// the platforms misbehave:
//   stripNul  drop the NUL that ends a text message (WeChat on iOS)
//   split     cut each text message into pieces delivered as separate messages
//   merge     deliver the text messages that arrive together as one
//   drop()    end every socket without a closing handshake (code 1006)
//   maxSockets (5, as WeChat): a further connectSocket fails
// Not a test file.
import WebSocket from 'ws';

export function fakeMiniProgram(kind = 'wx') {
  const tasks = new Set();
  const api = {
    stripNul: false,
    split: false,
    merge: false,
    maxSockets: 5,
    stripped: 0,
    refused: 0,
    opened: 0,
    peakOpen: 0,
    get open() {
      return tasks.size;
    },
    connectSocket(options) {
      const { url, protocols, fail, success, complete } = options;
      if (kind === 'uni' && !fail && !success && !complete) {
        // uni-app: "returns a SocketTask only if success/fail/complete is given".
        api.connectSocket({ ...options, complete: () => undefined });
        return undefined;
      }
      if (tasks.size >= api.maxSockets) {
        api.refused++;
        setImmediate(() => {
          fail?.({ errMsg: 'connectSocket:fail exceed max task count' });
          complete?.({});
        });
        return makeTask(null);
      }
      const ws = new WebSocket(url, protocols); // data arrives as Node Buffers
      const task = makeTask(ws);
      tasks.add(task);
      api.opened++;
      api.peakOpen = Math.max(api.peakOpen, tasks.size);
      setImmediate(() => {
        success?.({ errMsg: 'connectSocket:ok' });
        complete?.({});
      });
      return task;
    },
    drop() {
      for (const t of [...tasks]) t._ws.terminate();
    },
  };

  function makeTask(ws) {
    const on = {};
    let pending = [];
    const deliver = (data) => on.message?.({ data });
    let flushMerged = () => undefined;
    const task = {
      _ws: ws,
      onOpen: (cb) => (on.open = cb),
      onMessage: (cb) => (on.message = cb),
      onClose: (cb) => (on.close = cb),
      onError: (cb) => (on.error = cb),
      send({ data, success, fail }) {
        if (ws?.readyState !== WebSocket.OPEN) return fail?.({ errMsg: 'sendSocketMessage:fail not connected' });
        ws.send(typeof data === 'string' ? data : Buffer.from(data));
        success?.({});
      },
      close({ code = 1000, reason = '' } = {}) {
        ws?.close(code, reason);
      },
    };
    if (ws === null) return task;
    ws.on('open', () => on.open?.({}));
    // What arrives together is merged first (a broker writing several frames in one
    // message); then the NUL that ends the message is stripped (only that one, as iOS
    // does); then the message may be cut into pieces.
    const text = (t) => {
      if (api.stripNul && t.endsWith('\0')) {
        t = t.slice(0, -1);
        api.stripped++;
      }
      if (!api.split || t.length < 2) return deliver(t);
      const cuts = [rand(t), rand(t)].sort((a, b) => a - b);
      let from = 0;
      for (const c of [...cuts, t.length]) {
        if (c > from) deliver(t.slice(from, c));
        from = Math.max(from, c);
      }
    };
    flushMerged = () => {
      const all = pending;
      pending = [];
      if (all.length) text(all.join(''));
    };
    ws.on('message', (raw, isBinary) => {
      if (isBinary) {
        flushMerged();
        return deliver(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      }
      if (!api.merge) return text(raw.toString('utf8'));
      if (pending.length === 0) setImmediate(flushMerged);
      pending.push(raw.toString('utf8'));
    });
    ws.on('error', (err) => on.error?.({ errMsg: err.message }));
    ws.on('close', (code, reason) => {
      tasks.delete(task);
      on.close?.({ code, reason: reason.toString() });
    });
    return task;
  }
  return api;
}

function rand(text) {
  let i = 1 + Math.floor(Math.random() * (text.length - 1));
  const c = text.charCodeAt(i - 1);
  if (c >= 0xd800 && c <= 0xdbff) i++;
  return i;
}
