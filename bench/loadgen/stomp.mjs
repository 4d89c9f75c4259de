// Minimal hand-written STOMP 1.2 client pieces for the benchmark: frame
// encoding, an incremental frame reader, and TCP / WebSocket connect helpers.
// Deliberately independent of the project's own codec so that the harness
// measures the broker, not a shared bug.
import net from 'node:net';
import WebSocket from 'ws';

const NUL = 0;
const LF = 10;
const CR = 13;

function escapeHeader(v) {
  return String(v).replace(/\\/g, '\\\\').replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/:/g, '\\c');
}

/** Encode a frame to a Buffer. `body` may be a string or Buffer. */
export function encodeFrame(command, headers = {}, body) {
  let head = command + '\n';
  const esc = command !== 'CONNECT' && command !== 'CONNECTED';
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || v === null) continue;
    head += (esc ? escapeHeader(k) : k) + ':' + (esc ? escapeHeader(v) : v) + '\n';
  }
  head += '\n';
  const b = body === undefined ? null : Buffer.isBuffer(body) ? body : Buffer.from(String(body));
  if (!b || b.length === 0) return Buffer.from(head + '\0', 'utf8');
  return Buffer.concat([Buffer.from(head, 'utf8'), b, Buffer.from([NUL])]);
}

/** Build the fixed-part prefix of a SEND frame, so the hot path only appends a body. */
export function sendPrefix(destination, bodyLength) {
  return Buffer.from(
    `SEND\ndestination:${destination}\ncontent-type:text/plain\ncontent-length:${bodyLength}\n\n`,
    'latin1',
  );
}

const UNESC = { '\\\\': '\\', '\\c': ':', '\\n': '\n', '\\r': '\r' };
function unescapeHeader(v) {
  return v.indexOf('\\') < 0 ? v : v.replace(/\\[\\cnr]/g, (m) => UNESC[m]);
}

/** Header map of a frame's header block (the command line is skipped). */
export function parseHeaders(raw) {
  const headers = {};
  const lines = raw.split('\n');
  for (let i = 1; i < lines.length; i++) {
    let line = lines[i];
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (!line) continue;
    const c = line.indexOf(':');
    if (c < 0) continue;
    const k = unescapeHeader(line.slice(0, c));
    if (!(k in headers)) headers[k] = unescapeHeader(line.slice(c + 1)); // first occurrence wins (1.2)
  }
  return headers;
}

/**
 * Incremental frame reader. push(chunk) and the callback gets
 * (command, rawHeaderText, buf, bodyStart, bodyEnd) for every complete frame;
 * the body is buf[bodyStart, bodyEnd). Heart-beat EOLs are skipped.
 * Only the header block is turned into a string; bodies stay as Buffer views.
 */
export class FrameReader {
  constructor(onFrame) {
    this.onFrame = onFrame;
    this.buf = null; // pending unparsed bytes
  }

  push(chunk) {
    let buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    let pos = 0;
    const len = buf.length;
    while (pos < len) {
      const b = buf[pos];
      if (b === LF || b === CR) { pos++; continue; } // heart-beats / stray EOLs
      // header block ends at an empty line: LF LF or LF CR LF
      let hEnd = -1;
      let sepLen = 0;
      for (let p = pos; ;) {
        const nl = buf.indexOf(LF, p);
        if (nl < 0 || nl + 1 >= len) break;
        if (buf[nl + 1] === LF) { hEnd = nl; sepLen = 2; break; }
        if (buf[nl + 1] === CR) {
          if (nl + 2 >= len) break;
          if (buf[nl + 2] === LF) { hEnd = nl; sepLen = 3; break; }
        }
        p = nl + 1;
      }
      if (hEnd < 0) break;
      const raw = buf.toString('utf8', pos, hEnd);
      const nl = raw.indexOf('\n');
      let command = nl < 0 ? raw : raw.slice(0, nl);
      if (command.endsWith('\r')) command = command.slice(0, -1);
      const bodyStart = hEnd + sepLen;
      let bodyEnd;
      const cl = raw.indexOf('\ncontent-length:');
      if (cl >= 0) {
        const n = parseInt(raw.slice(cl + 16, cl + 32), 10);
        if (bodyStart + n + 1 > len) break;
        bodyEnd = bodyStart + n;
        if (buf[bodyEnd] !== NUL) throw new Error('STOMP frame not NUL-terminated after content-length');
      } else {
        bodyEnd = buf.indexOf(NUL, bodyStart);
        if (bodyEnd < 0) break;
      }
      this.onFrame(command, raw, buf, bodyStart, bodyEnd);
      pos = bodyEnd + 1;
    }
    this.buf = pos >= len ? null : buf.subarray(pos);
    if (this.buf && this.buf.length > 64 * 1024 * 1024) throw new Error('frame too large / unparsable');
  }
}

/**
 * A STOMP connection over TCP ("tcp") or WebSocket ("ws").
 * Events: use conn.onFrame = (command, raw, buf, s, e) => {...}.
 */
export class StompConn {
  constructor(kind, target, connectHeaders = {}) {
    this.kind = kind;
    this.target = target; // {port} for tcp, url for ws
    this.connectHeaders = connectHeaders;
    this.onFrame = null;
    this.onClose = null;
    this.pending = new Map(); // receipt-id -> resolve
    this.errors = [];
    this.closed = false;
    this.reader = new FrameReader((cmd, raw, buf, s, e) => this._frame(cmd, raw, buf, s, e));
  }

  _frame(cmd, raw, buf, s, e) {
    if (cmd === 'MESSAGE') { if (this.onFrame) this.onFrame(cmd, raw, buf, s, e); return; }
    if (cmd === 'RECEIPT') {
      const id = parseHeaders(raw)['receipt-id'];
      const r = this.pending.get(id);
      if (r) { this.pending.delete(id); r.resolve(); }
      return;
    }
    if (cmd === 'CONNECTED') { if (this._connected) this._connected.resolve(parseHeaders(raw)); return; }
    if (cmd === 'ERROR') {
      const h = parseHeaders(raw);
      const err = new Error(`STOMP ERROR: ${h.message || ''} ${buf.toString('utf8', s, e).slice(0, 200)}`);
      this.errors.push(err);
      if (this._connected) this._connected.reject(err);
      for (const r of this.pending.values()) r.reject(err);
      this.pending.clear();
    }
  }

  /** Open the transport and exchange CONNECT/CONNECTED. */
  async connect(timeoutMs = 15000) {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connect timeout (${this.kind})`)), timeoutMs);
      const done = (err) => { clearTimeout(timer); err ? reject(err) : resolve(); };
      if (this.kind === 'tcp') {
        const sock = net.connect({ host: '127.0.0.1', port: this.target.port, noDelay: true });
        this.sock = sock;
        sock.setNoDelay(true);
        sock.once('connect', () => done());
        sock.once('error', done);
        sock.on('data', (d) => this.reader.push(d));
        sock.on('close', () => this._closed());
      } else {
        const ws = new WebSocket(this.target, ['v12.stomp'], { perMessageDeflate: false });
        this.ws = ws;
        ws.once('open', () => { ws._socket.setNoDelay(true); done(); });
        ws.once('error', done);
        ws.on('message', (d) => this.reader.push(Buffer.isBuffer(d) ? d : Buffer.from(d)));
        ws.on('close', () => this._closed());
      }
    });
    if (this.ws) this.ws.on('error', (e) => this.errors.push(e));
    else this.sock.on('error', (e) => this.errors.push(e));
    const connected = new Promise((resolve, reject) => { this._connected = { resolve, reject }; });
    this.writeFrame(encodeFrame('CONNECT', {
      'accept-version': '1.2', host: '/', 'heart-beat': '0,0', ...this.connectHeaders,
    }));
    const t = setTimeout(() => this._connected && this._connected.reject(new Error('CONNECTED timeout')), timeoutMs);
    try { return await connected; } finally { clearTimeout(t); this._connected = null; }
  }

  _closed() {
    if (this.closed) return;
    this.closed = true;
    const err = new Error('connection closed');
    for (const r of this.pending.values()) r.reject(err);
    this.pending.clear();
    if (this._connected) this._connected.reject(err);
    if (this.onClose) this.onClose();
  }

  /** Write one complete frame (a Buffer). Returns false when the transport wants a drain. */
  writeFrame(buf) {
    if (this.closed) return false;
    if (this.ws) { this.ws.send(buf, { binary: false }); return this.ws._socket.writableLength < 1 << 20; }
    return this.sock.write(buf);
  }

  /** Batch several writeFrame calls into fewer syscalls. */
  cork() { (this.ws ? this.ws._socket : this.sock).cork(); }
  uncork() { (this.ws ? this.ws._socket : this.sock).uncork(); }
  writableLength() { return (this.ws ? this.ws._socket : this.sock).writableLength; }
  onceDrain(fn) { (this.ws ? this.ws._socket : this.sock).once('drain', fn); }

  /** Send a frame carrying a receipt header and wait for the RECEIPT. */
  request(command, headers, timeoutMs = 15000) {
    const id = `r${++StompConn.seq}`;
    const p = new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.pending.delete(id); reject(new Error(`${command} receipt timeout`)); }, timeoutMs);
      this.pending.set(id, { resolve: () => { clearTimeout(t); resolve(); }, reject: (e) => { clearTimeout(t); reject(e); } });
    });
    this.writeFrame(encodeFrame(command, { ...headers, receipt: id }));
    return p;
  }

  subscribe(destination, id = 'sub-0') {
    return this.request('SUBSCRIBE', { id, destination, ack: 'auto' });
  }

  /** Polite DISCONNECT (with receipt, bounded wait) then close the transport. */
  async close(timeoutMs = 2000) {
    if (this.closed) return;
    try { await this.request('DISCONNECT', {}, timeoutMs); } catch { /* ignore */ }
    this.destroy();
  }

  destroy() {
    if (this.ws) this.ws.terminate(); else if (this.sock) this.sock.destroy();
    this._closed();
  }
}
StompConn.seq = 0;

/** True when a STOMP CONNECT on 127.0.0.1:port gets CONNECTED. */
export async function probeStomp(port, connectHeaders = {}, timeoutMs = 2000) {
  const c = new StompConn('tcp', { port }, connectHeaders);
  try {
    await c.connect(timeoutMs);
    return true;
  } catch {
    return false;
  } finally {
    c.destroy();
  }
}
