// A STOMP connection for the load generator over one of three transports:
//   tcp      plain TCP (TCP_NODELAY)
//   ws/raw   WebSocket with our own client (wsclient.mjs): payload ranges of each
//            socket chunk go straight into the STOMP reader (the default)
//   ws/ws    WebSocket with the `ws` npm client: one event and one Buffer per message
// Both WebSocket clients offer only `v12.stomp` and send one STOMP frame per
// text message. The same client is used against every broker.
import net from 'node:net';
import WebSocket from 'ws';
import { FrameReader, encodeFrame, parseHeaders } from './stomp.mjs';
import { RawWebSocket } from './wsclient.mjs';

export const WS_CLIENTS = ['raw', 'ws'];

export class StompConn {
  /**
   * @param {'tcp'|'ws'} kind
   * @param {{port:number}|string} target {port} for tcp, a ws:// URL for ws
   * @param {object} connectHeaders extra CONNECT headers (login, passcode, host)
   * @param {{wsClient?: 'raw'|'ws'}} [opts]
   */
  constructor(kind, target, connectHeaders = {}, { wsClient = 'raw' } = {}) {
    if (kind === 'ws' && !WS_CLIENTS.includes(wsClient)) throw new Error(`unknown ws client ${wsClient}`);
    this.kind = kind;
    this.transport = kind === 'tcp' ? 'tcp' : `ws-${wsClient}`;
    this.target = target;
    this.connectHeaders = connectHeaders;
    this.onFrame = null; // (command, raw, buf, s, e) for MESSAGE frames (unless onMessage is set)
    this.onClose = null;
    /** (rawHeaderText) => true if the RECEIPT was the owner's (not a request()); null: none. */
    this.onReceipt = null;
    /** Called before / after each chunk of input is parsed (the subscriber batches its bookkeeping there). */
    this.beforeRead = null;
    this.afterRead = null;
    this.pending = new Map(); // receipt-id -> resolve
    this.errors = [];
    this.closed = false;
    this.stream = null; // the net.Socket underneath, for cork/drain
    this.reader = new FrameReader((cmd, raw, buf, s, e) => this._frame(cmd, raw, buf, s, e));
  }

  /** Fast path: MESSAGE bodies only, no header strings (see FrameReader). null turns it off. */
  set onMessage(fn) { this.reader.onMessage = fn; }
  get onMessage() { return this.reader.onMessage; }

  _frame(cmd, raw, buf, s, e) {
    if (cmd === 'MESSAGE') { if (this.onFrame) this.onFrame(cmd, raw, buf, s, e); return; }
    if (cmd === 'RECEIPT') {
      if (this.onReceipt !== null && this.onReceipt(raw)) return; // handled by the owner (windowed SENDs, ACK batches)
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

  /** Feed input to the reader; a parse error is recorded and ends the connection. */
  _input(buf, s, e) {
    try {
      this.reader.feed(buf, s, e);
    } catch (err) {
      this.errors.push(err);
      this.destroy();
    }
  }

  _chunk(buf, s, e) {
    if (this.beforeRead) this.beforeRead();
    this._input(buf, s, e);
    if (this.afterRead) this.afterRead();
  }

  _openTransport() {
    if (this.transport === 'tcp') {
      return new Promise((resolve, reject) => {
        const sock = net.connect({ host: '127.0.0.1', port: this.target.port, noDelay: true });
        this.sock = this.stream = sock;
        sock.setNoDelay(true);
        sock.once('connect', () => { sock.on('error', (e) => this.errors.push(e)); resolve(); });
        sock.once('error', reject);
        sock.on('data', (d) => this._chunk(d, 0, d.length));
        sock.on('close', () => this._closed());
      });
    }
    if (this.transport === 'ws-raw') {
      // Payload ranges of one socket chunk all arrive inside one 'data' event:
      // bracket the whole chunk, not each range.
      const rws = new RawWebSocket(this.target, 'v12.stomp', (buf, s, e) => this._input(buf, s, e));
      this.rws = rws;
      rws.onClose = () => this._closed();
      rws.onError = (e) => this.errors.push(e);
      return rws.connect().then(() => {
        this.stream = rws.sock;
        rws.sock.prependListener('data', () => { if (this.beforeRead) this.beforeRead(); });
        rws.sock.on('data', () => { if (this.afterRead) this.afterRead(); });
      });
    }
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.target, ['v12.stomp'], { perMessageDeflate: false });
      this.ws = ws;
      let open = false;
      ws.once('open', () => {
        open = true;
        this.stream = ws._socket;
        this.stream.setNoDelay(true);
        resolve();
      });
      ws.on('error', (e) => { if (open) this.errors.push(e); else reject(e); });
      ws.on('message', (d) => {
        const b = Buffer.isBuffer(d) ? d : Buffer.from(d);
        this._chunk(b, 0, b.length);
      });
      ws.on('close', () => this._closed());
    });
  }

  /** Open the transport and exchange CONNECT/CONNECTED. */
  async connect(timeoutMs = 15000) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`connect timeout (${this.transport})`)), timeoutMs);
    });
    try {
      await Promise.race([this._openTransport(), timeout]);
      const connected = new Promise((resolve, reject) => { this._connected = { resolve, reject }; });
      this.writeFrame(encodeFrame('CONNECT', {
        'accept-version': '1.2', host: '/', 'heart-beat': '0,0', ...this.connectHeaders,
      }));
      return await Promise.race([connected, timeout]);
    } catch (e) {
      this.destroy();
      throw e;
    } finally {
      clearTimeout(timer);
      this._connected = null;
    }
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
    if (this.rws) { this.rws.send(buf); return this.stream.writableLength < 1 << 20; }
    if (this.ws) { this.ws.send(buf, { binary: false }); return this.stream.writableLength < 1 << 20; }
    return this.sock.write(buf);
  }

  /**
   * Write `n` frames of `frameLen` bytes each, back to back in buf: in one write
   * over TCP, as n WebSocket messages otherwise. False when the caller should wait for a drain.
   */
  writeFrames(buf, frameLen, n) {
    if (this.closed) return false;
    if (this.rws) { this.rws.sendMany(buf, frameLen, n); return this.stream.writableLength < 1 << 20; }
    if (this.ws) {
      this.stream.cork();
      for (let i = 0; i < n; i++) this.ws.send(buf.subarray(i * frameLen, (i + 1) * frameLen), { binary: false });
      this.stream.uncork();
      return this.stream.writableLength < 1 << 20;
    }
    return this.sock.write(buf);
  }

  writableLength() { return this.stream.writableLength; }
  onceDrain(fn) { this.stream.once('drain', fn); }

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

  subscribe(destination, id = 'sub-0', extra = {}) {
    return this.request('SUBSCRIBE', { id, destination, ack: 'auto', ...extra });
  }

  /** Polite DISCONNECT (with receipt, bounded wait), then the WebSocket closing handshake or a TCP close. */
  async close(timeoutMs = 2000) {
    if (this.closed) return;
    try { await this.request('DISCONNECT', {}, timeoutMs); } catch { /* ignore */ }
    if (this.rws) this.rws.close(1000);
    else if (this.ws) this.ws.close(1000);
    else this.sock.end();
    this._closed();
  }

  /** Drop the connection at once (no closing handshake), as `ws.terminate()`. */
  destroy() {
    if (this.rws) this.rws.terminate();
    else if (this.ws) this.ws.terminate();
    else if (this.sock) this.sock.destroy();
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
