/**
 * Per-connection output: bytes are copied into one buffer as they are queued and
 * written with a single `socket.write` per connection per event-loop turn, which
 * is what makes small messages cheap (see PEERS.md: one write per socket per turn
 * more than doubles a Node relay's throughput). TCP_NODELAY is set by the listener,
 * so batching is ours, not Nagle's, and latency stays low.
 *
 * For WebSocket connections the outbox writes the WebSocket frame header itself
 * (RFC 6455 §5.2, server frames are unmasked) straight onto the socket, bypassing
 * `ws`'s per-message `send`; `ws` still parses what the client sends, answers its
 * pings and does the closing handshake. Frames are written whole, so `ws`'s own
 * control frames can only ever fall between ours.
 *
 * Bounded: `pending` counts bytes buffered here and in the socket. Above the
 * high-water mark (never above the limit) the connection is `congested` (queues
 * stop dispatching to it); above the limit the owner applies its slow-consumer
 * policy. So that `pending` measures what the client has not taken rather than
 * what one busy turn produced, a turn's output is handed to the socket early once
 * it passes half the high-water mark (a burst of input can make megabytes of
 * output in one turn, which would otherwise trip the limit for a healthy client).
 */
import type { Socket } from 'node:net';
import { wsHeaderLength, writeWsHeader } from './ws-frame.js';

const MIN_CHUNK = 1024;
const MAX_CHUNK = 256 * 1024;

const dirty: Outbox[] = [];
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  // A flush can queue more output (drain handlers): loop over a snapshot.
  const list = dirty.splice(0, dirty.length);
  for (let i = 0; i < list.length; i++) list[i].flush();
}

export interface OutboxOwner {
  /** The socket drained below the high-water mark after being congested. */
  onDrain(): void;
}

export class Outbox {
  private readonly socket: Socket;
  private readonly ws: boolean;
  private buf: Buffer | null = null;
  private used = 0;
  private full: Buffer[] = [];
  private fullBytes = 0;
  private queued = false;
  private lastFlush = MIN_CHUNK;
  private wasCongested = false;
  /** Something was written since the heart-beat timer last looked. */
  wrote = false;
  closed = false;
  readonly highWater: number;
  readonly limit: number;
  /** Buffered bytes at which this turn's output is written out without waiting for the end of the turn. */
  private readonly eagerBytes: number;
  private readonly owner: OutboxOwner;
  private readonly onWritten = () => this.drained();

  constructor(socket: Socket, ws: boolean, limit: number, owner: OutboxOwner) {
    this.socket = socket;
    this.ws = ws;
    this.limit = limit;
    // Not above the limit: a queue stops at the high-water mark, so its deliveries never meet the policy.
    this.highWater = Math.min(limit, Math.max(64 * 1024, limit >>> 2));
    this.eagerBytes = Math.min(MAX_CHUNK, Math.max(1, this.highWater >>> 1));
    this.owner = owner;
    socket.on('drain', this.onWritten);
  }

  get isWebSocket(): boolean {
    return this.ws;
  }

  /** Bytes not yet handed to the kernel. */
  get pending(): number {
    return this.used + this.fullBytes + this.socket.writableLength;
  }

  get congested(): boolean {
    if (this.pending <= this.highWater) return false;
    this.wasCongested = true;
    return true;
  }

  /** Starts a frame of `len` payload bytes (a WebSocket frame header, or nothing over TCP). */
  begin(len: number, binary = false): void {
    if (!this.ws) {
      this.ensure(len);
      return;
    }
    const b = this.ensure(len + wsHeaderLength(len));
    this.used = writeWsHeader(b, this.used, len, binary);
  }

  /** Copies bytes in; the caller reserved room with `begin`. */
  put(bytes: Uint8Array): void {
    (this.buf as Buffer).set(bytes, this.used);
    this.used += bytes.length;
  }

  putByte(b: number): void {
    (this.buf as Buffer)[this.used++] = b;
  }

  /** Writes an ASCII/latin1 string (header lines the broker builds). */
  putAscii(s: string): void {
    this.used += (this.buf as Buffer).write(s, this.used, 'latin1');
  }

  /** Ends the frame: schedules the flush for the end of this turn (or writes out now past `eagerBytes`). */
  end(): void {
    this.wrote = true;
    if (this.used + this.fullBytes >= this.eagerBytes) {
      this.flush();
      return;
    }
    if (!this.queued) {
      this.queued = true;
      dirty.push(this);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushAll);
      }
    }
  }

  /** A whole STOMP frame (non-hot frames: CONNECTED, RECEIPT, ERROR, heart-beats). */
  frame(bytes: Uint8Array, binary = false): void {
    if (this.closed) return;
    this.begin(bytes.length, binary);
    this.put(bytes);
    this.end();
  }

  /** Bytes already framed for this transport (a fan-out frame built once). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.put(bytes);
    this.end();
  }

  /**
   * Writes out everything buffered now (also called at close). Several filled chunks go
   * out corked, as one writev, rather than copied into one buffer first.
   */
  flush(): void {
    this.queued = false;
    if (this.closed && this.socket.destroyed) return;
    let last: Buffer | null = null;
    if (this.buf !== null && this.used > 0) {
      last = this.buf.subarray(0, this.used);
      this.lastFlush = this.used;
      this.buf = null;
      this.used = 0;
    }
    const full = this.full;
    if (full.length > 0) {
      this.full = [];
      this.fullBytes = 0;
      if (last === null) last = full.pop() as Buffer;
    }
    if (last === null || this.socket.destroyed) return;
    // The callback also ends a congestion that the write itself cleared: then no 'drain' event comes.
    if (full.length === 0) {
      this.socket.write(last, this.onWritten);
      return;
    }
    this.socket.cork();
    for (let i = 0; i < full.length; i++) this.socket.write(full[i]);
    this.socket.write(last, this.onWritten);
    this.socket.uncork();
  }

  /** Room for `n` more bytes in the current buffer; sized from the last flush. */
  private ensure(n: number): Buffer {
    let b = this.buf;
    if (b !== null && this.used + n <= b.length) return b;
    if (b !== null) {
      const done = b.subarray(0, this.used);
      this.full.push(done);
      this.fullBytes += done.length;
    }
    let size = this.lastFlush * 2;
    if (size < MIN_CHUNK) size = MIN_CHUNK;
    else if (size > MAX_CHUNK) size = MAX_CHUNK;
    if (size < n) size = n;
    b = this.buf = Buffer.allocUnsafe(size);
    this.used = 0;
    return b;
  }

  private drained(): void {
    if (this.wasCongested && this.pending <= this.highWater) {
      this.wasCongested = false;
      this.owner.onDrain();
    }
  }
}
