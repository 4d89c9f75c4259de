// A lean RFC 6455 WebSocket client for the load generator ("--ws-client raw").
//
// A plain net.Socket (TCP_NODELAY), the HTTP/1.1 upgrade written by hand, and a
// frame parser that works on each socket chunk in place: the payload bytes of
// data frames (text, binary and continuation alike) are handed to
// `onPayload(buf, start, end)` as ranges of the chunk, so a chunk holding
// hundreds of small messages costs no per-message objects or events. Only a
// frame header cut by a chunk boundary (< 14 bytes) and control-frame payloads
// (<= 125 bytes) are ever copied; a data payload cut by a boundary is handed on
// in two pieces (the STOMP reader downstream is a byte-stream parser and copies
// only an incomplete STOMP frame).
//
// Client-to-server frames are masked (§5.3) with keys from crypto.randomFillSync.
// Pings are answered with a masked pong; a close frame is echoed and the socket
// ended. No extensions are negotiated (so any RSV bit is an error), and text
// payloads are not UTF-8-validated (the STOMP reader does not need it).
import crypto from 'node:crypto';
import net from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP_CONT = 0, OP_TEXT = 1, OP_BIN = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10;

// Masking keys come from a pool of random bytes refilled when used up.
const pool = Buffer.alloc(64 * 1024);
let poolPos = pool.length;
function maskKeyAt() {
  if (poolPos + 4 > pool.length) { crypto.randomFillSync(pool); poolPos = 0; }
  const at = poolPos;
  poolPos += 4;
  return at;
}

/** Bytes a masked client frame with `len` payload bytes takes. */
export function maskedFrameSize(len) {
  return (len < 126 ? 2 : len < 65536 ? 4 : 10) + 4 + len;
}

/** Write a masked client frame (FIN set) of src[s, e) into out at o; returns the end offset. */
export function writeMaskedFrame(out, o, opcode, src, s, e) {
  const len = e - s;
  out[o++] = 0x80 | opcode;
  if (len < 126) out[o++] = 0x80 | len;
  else if (len < 65536) { out[o++] = 0x80 | 126; out[o++] = len >>> 8; out[o++] = len & 0xff; }
  else { out[o++] = 0x80 | 127; out.writeUInt32BE(Math.floor(len / 2 ** 32), o); out.writeUInt32BE(len >>> 0, o + 4); o += 8; }
  const k = maskKeyAt();
  const m0 = pool[k], m1 = pool[k + 1], m2 = pool[k + 2], m3 = pool[k + 3];
  out[o] = m0; out[o + 1] = m1; out[o + 2] = m2; out[o + 3] = m3;
  o += 4;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    out[o + i] = src[s + i] ^ m0;
    out[o + i + 1] = src[s + i + 1] ^ m1;
    out[o + i + 2] = src[s + i + 2] ^ m2;
    out[o + i + 3] = src[s + i + 3] ^ m3;
  }
  for (; i < len; i++) out[o + i] = src[s + i] ^ pool[k + (i & 3)];
  return o + len;
}

export class RawWebSocket {
  /**
   * @param {string} url ws://127.0.0.1:port/path
   * @param {string} protocol the one sub-protocol offered (and required back)
   * @param {(buf: Buffer, start: number, end: number) => void} onPayload data-frame payload bytes
   */
  constructor(url, protocol, onPayload) {
    this.url = new URL(url);
    if (this.url.protocol !== 'ws:' || this.url.hostname !== '127.0.0.1') throw new Error(`loopback ws:// only: ${url}`);
    this.protocol = protocol;
    this.onPayload = onPayload;
    this.onClose = null; // () => void, once
    this.onError = null; // (err) => void
    this.sock = null;
    this.op = 0; // opcode of the frame being read
    this.left = 0; // payload bytes of that frame still to come
    this.fin = true;
    this.inMessage = false; // a fragmented data message is open
    this.stash = null; // frame-header bytes cut by a chunk boundary
    this.ctrl = null; // control payload so far
    this.closeSent = false;
    this.closeCode = null;
  }

  /** TCP connect + upgrade; resolves once the 101 has been checked. */
  connect() {
    const key = crypto.randomBytes(16).toString('base64');
    const accept = crypto.createHash('sha1').update(key + GUID).digest('base64');
    const port = Number(this.url.port || 80);
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: '127.0.0.1', port, noDelay: true });
      this.sock = sock;
      let head = null;
      let settled = false;
      const fail = (err) => { if (!settled) { settled = true; reject(err); } sock.destroy(); };
      const onHandshake = (chunk) => {
        head = head ? Buffer.concat([head, chunk]) : chunk;
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) { if (head.length > 16384) fail(new Error('ws: upgrade response too large')); return; }
        const lines = head.latin1Slice(0, end).split('\r\n');
        const h = {};
        for (let i = 1; i < lines.length; i++) {
          const c = lines[i].indexOf(':');
          if (c > 0) h[lines[i].slice(0, c).trim().toLowerCase()] = lines[i].slice(c + 1).trim();
        }
        let err = null;
        if (!/^HTTP\/1\.1 101\b/.test(lines[0])) err = `unexpected response: ${lines[0]}`;
        else if ((h.upgrade || '').toLowerCase() !== 'websocket') err = `bad Upgrade header: ${h.upgrade}`;
        else if (h['sec-websocket-accept'] !== accept) err = 'bad Sec-WebSocket-Accept';
        else if (h['sec-websocket-protocol'] !== this.protocol) err = `sub-protocol not accepted: ${h['sec-websocket-protocol']}`;
        else if (h['sec-websocket-extensions']) err = `unrequested extension: ${h['sec-websocket-extensions']}`;
        if (err) { fail(new Error(`ws: ${err}`)); return; }
        sock.off('data', onHandshake);
        sock.on('data', (d) => this._onData(d));
        settled = true;
        resolve();
        if (end + 4 < head.length) this._onData(head.subarray(end + 4));
      };
      sock.once('connect', () => {
        sock.write(`GET ${this.url.pathname}${this.url.search} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`
          + `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n`
          + `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${this.protocol}\r\n\r\n`, 'latin1');
      });
      sock.on('data', onHandshake);
      sock.on('error', (e) => {
        if (!settled) fail(e);
        // a reset during the closing handshake is not worth reporting
        else if (this.onError && !(this.closeSent && (e.code === 'ECONNRESET' || e.code === 'EPIPE'))) this.onError(e);
      });
      sock.on('close', () => {
        if (!settled) fail(new Error('ws: connection closed during upgrade'));
        else if (this.onClose) { const f = this.onClose; this.onClose = null; f(); }
      });
    });
  }

  _onData(chunk) {
    const n = chunk.length;
    let p = 0;
    if (this.left > 0) p = this._payload(chunk, 0, n);
    if (this.stash !== null && p < n) {
      const had = this.stash.length;
      const tmp = Buffer.concat([this.stash, chunk.subarray(p, p + 14 - had)]);
      const h = this._header(tmp, 0, tmp.length);
      if (h === 0) { this.stash = tmp; return; }
      this.stash = null;
      if (h < 0) return;
      p = this._payload(chunk, p + h - had, n);
    }
    while (p < n) {
      const h = this._header(chunk, p, n);
      if (h === 0) { this.stash = Buffer.from(chunk.subarray(p, n)); return; }
      if (h < 0) return;
      p = this._payload(chunk, p + h, n);
    }
  }

  /** Parse a frame header at buf[p]; returns its length, 0 if incomplete, -1 on a protocol error. */
  _header(buf, p, n) {
    if (n - p < 2) return 0;
    const b0 = buf[p], b1 = buf[p + 1];
    let len = b1 & 0x7f;
    let h = 2;
    if (len === 126) {
      if (n - p < 4) return 0;
      len = (buf[p + 2] << 8) | buf[p + 3];
      h = 4;
    } else if (len === 127) {
      if (n - p < 10) return 0;
      len = buf.readUInt32BE(p + 2) * 2 ** 32 + buf.readUInt32BE(p + 6);
      h = 10;
    }
    const op = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    let err = null;
    if (b0 & 0x70) err = 'RSV bit set';
    else if (b1 & 0x80) err = 'masked server frame';
    else if (op >= 8) {
      if (op !== OP_CLOSE && op !== OP_PING && op !== OP_PONG) err = `opcode ${op}`;
      else if (!fin || len > 125) err = 'bad control frame';
    } else if (op === OP_CONT) {
      if (!this.inMessage) err = 'continuation without a message';
    } else if (op === OP_TEXT || op === OP_BIN) {
      if (this.inMessage) err = 'new message inside a fragmented one';
    } else err = `opcode ${op}`;
    if (err) { this._fail(new Error(`ws: protocol error: ${err}`)); return -1; }
    if (op < 8) this.inMessage = !fin;
    this.op = op;
    this.fin = fin;
    this.left = len;
    if (op >= 8) this.ctrl = null;
    return h;
  }

  /** Consume up to `left` payload bytes from buf[p, n); returns the new offset. */
  _payload(buf, p, n) {
    const take = Math.min(this.left, n - p);
    if (this.op < 8) {
      if (take > 0) this.onPayload(buf, p, p + take);
    } else if (take > 0) {
      const part = buf.subarray(p, p + take);
      this.ctrl = this.ctrl ? Buffer.concat([this.ctrl, part]) : Buffer.from(part);
    }
    this.left -= take;
    if (this.left === 0 && this.op >= 8) this._control();
    return p + take;
  }

  _control() {
    const body = this.ctrl || Buffer.alloc(0);
    this.ctrl = null;
    if (this.op === OP_PING) this._send(OP_PONG, body, 0, body.length);
    else if (this.op === OP_CLOSE) {
      this.closeCode = body.length >= 2 ? body.readUInt16BE(0) : 1005;
      if (!this.closeSent) this._send(OP_CLOSE, body, 0, Math.min(body.length, 2)); // echo the status code
      this.closeSent = true;
      this.sock.end();
    }
  }

  _send(opcode, src, s, e) {
    if (this.sock.destroyed || this.closeSent) return true;
    const out = Buffer.allocUnsafe(maskedFrameSize(e - s));
    writeMaskedFrame(out, 0, opcode, src, s, e);
    return this.sock.write(out);
  }

  /** One text message. */
  send(payload) {
    return this._send(OP_TEXT, payload, 0, payload.length);
  }

  /** `n` text messages of `frameLen` bytes each, back to back in buf, in one write. */
  sendMany(buf, frameLen, n) {
    if (this.sock.destroyed || this.closeSent) return true;
    const out = Buffer.allocUnsafe(n * maskedFrameSize(frameLen));
    let o = 0;
    for (let i = 0; i < n; i++) o = writeMaskedFrame(out, o, OP_TEXT, buf, i * frameLen, (i + 1) * frameLen);
    return this.sock.write(out);
  }

  /** Closing handshake from our side (1000); the socket is destroyed if the server does not finish it. */
  close(code = 1000) {
    if (!this.sock || this.sock.destroyed) return;
    const b = Buffer.from([code >>> 8, code & 0xff]);
    this._send(OP_CLOSE, b, 0, 2);
    this.closeSent = true;
    setTimeout(() => this.sock.destroy(), 2000).unref();
  }

  terminate() {
    if (this.sock) this.sock.destroy();
  }

  _fail(err) {
    if (this.onError) this.onError(err);
    this.sock.destroy();
  }
}
