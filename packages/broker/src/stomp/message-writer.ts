/**
 * MESSAGE frames, the hot path. A MESSAGE is written as
 *
 *   [WebSocket header] "MESSAGE\nsubscription:<id>\n"      per subscription, interned
 *   "message-id:..\ndestination:..\n<user headers>content-length:N\n"   once per message and version
 *   ["ack:<tag>\n"] ["redelivered:true\n"]                 per delivery, only when needed
 *   "\n" <body> NUL
 *
 * so a delivery is a handful of copies into the connection's output buffer and no
 * string building. When one publish fans out to many auto-ack subscribers whose
 * subscription line is the same (every stompjs client's first subscription is
 * `sub-0`), the whole frame, WebSocket header included, is built once and the same
 * bytes are copied to each. `content-length` is always sent (STOMP 1.2 §MESSAGE
 * "SHOULD"), so a client that loses the trailing NUL (iOS mini-programs) still reads it. The EOL
 * after the NUL is allowed by the grammar (STOMP 1.2 §"Augmented BNF") and sent by RabbitMQ;
 * php-stomp 2.0 loses frames without it (docs/compatibility.md).
 */
import { isUtf8 } from 'node:buffer';
import { escapeHeaderValue, type StompVersion } from '@stompbox/stomp-codec';
import type { Message } from '../core/message.js';
import type { Outbox } from '../listeners/outbox.js';
import { wsHeaderLength, writeWsHeader } from '../listeners/ws-frame.js';

interface VersionEncoding {
  block: Buffer;
  /** Body is not UTF-8 (send as a binary WebSocket frame): 1 yes, 0 no, -1 not checked yet. */
  binary: number;
  /** Fan-out cache: the whole frame, and the subscription line and transport it was built for. */
  frameKey: Buffer | null;
  frameWs: boolean;
  frame: Buffer | null;
}

interface MessageEncodings {
  v10?: VersionEncoding;
  v11?: VersionEncoding;
  v12?: VersionEncoding;
}

const interned = new Map<string, Buffer>();

/** The `MESSAGE\nsubscription:<id>\n` line, shared by every subscription with this id and escaping. */
export function subscriptionPrefix(id: string, version: StompVersion): Buffer {
  const key = version + id;
  let b = interned.get(key);
  if (b === undefined) {
    b = Buffer.from(`MESSAGE\nsubscription:${escapeHeaderValue(id, version)}\n`, 'utf8');
    // Bound the intern table: ids are client-chosen, so unbounded growth is a leak.
    if (interned.size < 100_000) interned.set(key, b);
  }
  return b;
}

function encodingFor(msg: Message, version: StompVersion): VersionEncoding {
  let all = msg.enc as MessageEncodings | undefined;
  if (all === undefined) msg.enc = all = {};
  const slot = version === '1.2' ? 'v12' : version === '1.1' ? 'v11' : 'v10';
  let e = all[slot];
  if (e === undefined) {
    let s = `message-id:${msg.id}\ndestination:${escapeFor(msg.destination, version)}\n`;
    const h = msg.headers;
    for (let i = 0; i < h.length; i += 2) {
      s += `${escapeFor(h[i], version)}:${escapeFor(h[i + 1], version)}\n`;
    }
    if (msg.persistent) s += 'persistent:true\n';
    s += `content-length:${msg.body.length}\n`;
    e = all[slot] = { block: Buffer.from(s, 'utf8'), binary: -1, frameKey: null, frameWs: false, frame: null };
  }
  return e;
}

/**
 * STOMP 1.0 has no escaping, but a 1.1/1.2 publisher may put a line break in a name
 * or value: written raw, it would end the header line and let the publisher inject
 * headers or cut the frame for 1.0 subscribers. Such a string is written with the
 * 1.2 escapes instead (readable, and never a line break).
 */
function escapeFor(s: string, version: StompVersion): string {
  if (version === '1.0' && (s.includes('\n') || s.includes('\r'))) return escapeHeaderValue(s, '1.2');
  return escapeHeaderValue(s, version);
}

const REDELIVERED = Buffer.from('redelivered:true\n', 'latin1');

export function writeMessage(
  out: Outbox,
  version: StompVersion,
  prefix: Buffer,
  msg: Message,
  redelivered: boolean,
  ackId: string | null,
  fanout: number,
): void {
  const e = encodingFor(msg, version);
  const body = msg.body;
  if (ackId === null && !redelivered && fanout > 1) {
    // Built once, for the first subscription line seen; deliveries with another line
    // (clients that number their subscriptions differently) are written in pieces
    // below rather than rebuilding the frame each time.
    const ws = out.isWebSocket;
    if (e.frame === null) {
      e.frame = buildFrame(ws, e, prefix, body);
      e.frameKey = prefix;
      e.frameWs = ws;
    }
    if (e.frameKey === prefix && e.frameWs === ws) {
      out.raw(e.frame);
      return;
    }
  }
  const ackLine = ackId === null ? '' : `ack:${ackId}\n`;
  const len = prefix.length + e.block.length + ackLine.length + (redelivered ? REDELIVERED.length : 0) + body.length + (out.isWebSocket ? 2 : 3);
  out.begin(len, out.isWebSocket && isBinary(e, body));
  out.put(prefix);
  out.put(e.block);
  if (ackId !== null) out.putAscii(ackLine);
  if (redelivered) out.put(REDELIVERED);
  out.putByte(10);
  out.put(body);
  out.putByte(0);
  // TCP only: over WebSocket each message is one frame, and stompjs 2.3.3 in a browser logs the EOL as a frame of its own.
  if (!out.isWebSocket) out.putByte(10);
  out.end();
}

/** WebSocket text frames must be UTF-8 (RFC 6455 §5.6); checked once per message, and only for WebSocket. */
function isBinary(e: VersionEncoding, body: Uint8Array): boolean {
  if (e.binary === -1) e.binary = body.length > 0 && !isUtf8(body) ? 1 : 0;
  return e.binary === 1;
}

function buildFrame(ws: boolean, e: VersionEncoding, prefix: Buffer, body: Uint8Array): Buffer {
  const len = prefix.length + e.block.length + body.length + (ws ? 2 : 3);
  const f = Buffer.allocUnsafe((ws ? wsHeaderLength(len) : 0) + len);
  let o = ws ? writeWsHeader(f, 0, len, isBinary(e, body)) : 0;
  f.set(prefix, o);
  o += prefix.length;
  f.set(e.block, o);
  o += e.block.length;
  f[o++] = 10;
  f.set(body, o);
  o += body.length;
  f[o++] = 0;
  if (!ws) f[o] = 10;
  return f;
}
