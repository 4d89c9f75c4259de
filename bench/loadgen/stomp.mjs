// Minimal hand-written STOMP 1.2 client pieces for the benchmark: frame
// encoding and an incremental frame reader (connections are in conn.mjs).
// Deliberately independent of the project's own codec so that the harness
// measures the broker, not a shared bug.

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

const C_ = 0x63; // 'c'
const CONTENT_LENGTH = Buffer.from('content-length:', 'latin1');
const MESSAGE_CMD = Buffer.from('MESSAGE', 'latin1');

/**
 * Incremental frame reader over a byte stream. feed(buf, start, end) (or
 * push(chunk)) with the bytes in arrival order, in ranges of any size; complete
 * frames are reported as ranges of the buffer they were found in, which is only
 * valid during the callback:
 *   onFrame(command, rawHeaderText, buf, bodyStart, bodyEnd)  every frame, or
 *   onMessage(buf, bodyStart, bodyEnd)  MESSAGE frames, when set (fast path):
 *     no strings at all, the header block is scanned byte by byte for the blank
 *     line and `content-length`; other frames still go to onFrame with their
 *     header text (CONNECTED, RECEIPT, ERROR need their headers).
 * Frames are parsed in place in the caller's buffer; only a frame cut by the end
 * of a range is copied (into `pend`) and completed from the next range.
 * Heart-beat EOLs are skipped.
 */
export class FrameReader {
  constructor(onFrame, onMessage = null) {
    this.onFrame = onFrame;
    this.onMessage = onMessage;
    this.pend = null; // bytes of an incomplete frame, pend[0, plen)
    this.plen = 0;
  }

  push(chunk) {
    this.feed(chunk, 0, chunk.length);
  }

  feed(buf, s, e) {
    // Finish the pending frame first, appending a bounded piece at a time, then
    // go back to parsing in place.
    while (this.plen > 0 && s < e) {
      const old = this.plen;
      const k = Math.min(e - s, Math.max(4096, old));
      this._append(buf, s, s + k);
      const used = this._parse(this.pend, 0, this.plen);
      if (used >= old) { s += used - old; this.plen = 0; break; }
      if (used > 0) { this.pend.copyWithin(0, used, this.plen); this.plen -= used; }
      s += k;
    }
    if (s >= e) return;
    const used = this._parse(buf, s, e);
    if (used < e) this._append(buf, used, e);
    if (this.plen > 64 * 1024 * 1024) throw new Error('frame too large / unparsable');
  }

  _append(buf, s, e) {
    const need = this.plen + (e - s);
    if (this.pend === null || this.pend.length < need) {
      const next = Buffer.allocUnsafe(Math.max(need, 2 * (this.pend ? this.pend.length : 2048)));
      if (this.plen > 0) this.pend.copy(next, 0, 0, this.plen);
      this.pend = next;
    }
    buf.copy(this.pend, this.plen, s, e);
    this.plen = need;
  }

  /** Parse whole frames in buf[pos, len); returns where the first incomplete one starts. */
  _parse(buf, pos, len) {
    while (pos < len) {
      const b = buf[pos];
      if (b === LF || b === CR) { pos++; continue; } // heart-beats / stray EOLs
      if (b === 0x4d && this.onMessage !== null) { // 'M'
        const next = this._message(buf, pos, len);
        if (next === -1) return pos;
        if (next >= 0) { pos = next; continue; }
      }
      // header block ends at an empty line: LF LF or LF CR LF
      let hEnd = -1;
      let sepLen = 0;
      for (let p = pos; ;) {
        const nl = buf.indexOf(LF, p);
        if (nl < 0 || nl >= len || nl + 1 >= len) break;
        if (buf[nl + 1] === LF) { hEnd = nl; sepLen = 2; break; }
        if (buf[nl + 1] === CR) {
          if (nl + 2 >= len) break;
          if (buf[nl + 2] === LF) { hEnd = nl; sepLen = 3; break; }
        }
        p = nl + 1;
      }
      if (hEnd < 0) return pos;
      const raw = buf.toString('utf8', pos, hEnd);
      const nl = raw.indexOf('\n');
      let command = nl < 0 ? raw : raw.slice(0, nl);
      if (command.endsWith('\r')) command = command.slice(0, -1);
      const bodyStart = hEnd + sepLen;
      let bodyEnd;
      const cl = raw.indexOf('\ncontent-length:');
      if (cl >= 0) {
        const n = parseInt(raw.slice(cl + 16, cl + 32), 10);
        if (bodyStart + n + 1 > len) return pos;
        bodyEnd = bodyStart + n;
        if (buf[bodyEnd] !== NUL) throw new Error('STOMP frame not NUL-terminated after content-length');
      } else {
        bodyEnd = buf.indexOf(NUL, bodyStart);
        if (bodyEnd < 0 || bodyEnd >= len) return pos;
      }
      this.onFrame(command, raw, buf, bodyStart, bodyEnd);
      pos = bodyEnd + 1;
    }
    return pos;
  }

  /**
   * Fast path for a frame starting with 'M' at pos: returns the offset after it,
   * -1 if it is incomplete, -2 if it is not a MESSAGE frame.
   */
  _message(buf, pos, len) {
    let p = pos + 7;
    if (p >= len) return -1;
    for (let i = 1; i < 7; i++) if (buf[pos + i] !== MESSAGE_CMD[i]) return -2;
    if (buf[p] === CR) p++;
    if (p >= len) return -1;
    if (buf[p] !== LF) return -2;
    p++;
    let cl = -1; // content-length: the first occurrence counts (STOMP 1.2)
    for (;;) { // one header line per turn, p at its start
      if (p >= len) return -1;
      const c = buf[p];
      if (c === LF) { p++; break; }
      if (c === CR) {
        if (p + 1 >= len) return -1;
        if (buf[p + 1] === LF) { p += 2; break; }
      }
      if (c === C_ && cl < 0 && p + 15 < len && buf[p + 8] === 0x6c && buf[p + 14] === 0x3a) { // "c.......l.....:"
        let same = true;
        for (let i = 1; i < 14; i++) if (buf[p + i] !== CONTENT_LENGTH[i]) { same = false; break; }
        if (same) {
          let q = p + 15;
          let v = 0;
          for (let d = buf[q]; d >= 0x30 && d <= 0x39 && q < len; d = buf[++q]) v = v * 10 + d - 0x30;
          if (q > p + 15) cl = v;
          p = q;
        }
      }
      while (p < len && buf[p] !== LF) p++;
      p++;
    }
    const bodyStart = p;
    let bodyEnd;
    if (cl >= 0) {
      bodyEnd = bodyStart + cl;
      if (bodyEnd >= len) return -1;
      if (buf[bodyEnd] !== NUL) throw new Error('STOMP frame not NUL-terminated after content-length');
    } else {
      bodyEnd = buf.indexOf(NUL, bodyStart);
      if (bodyEnd < 0 || bodyEnd >= len) return -1;
    }
    this.onMessage(buf, bodyStart, bodyEnd);
    return bodyEnd + 1;
  }
}
