/**
 * Frame encoding for the client, smaller than the codec's encoder (which writes UTF-8
 * straight into one buffer for the broker's fan-out): the header block is built as a
 * string and encoded once. Same bytes as the codec's `encodeFrame` (a test checks it):
 * header values escaped per version (STOMP 1.2 §"Value Encoding"; 1.1 has no `\r`
 * escape; nothing before CONNECTED, so CONNECT is never escaped), `content-length`
 * always written for a non-empty body (a peer that loses the NUL still reads right).
 */
import type { StompVersion } from '@stompbox/stomp-codec';
import { utf8Encode } from './utf8.js';

const ESC: Record<string, string> = { '\\': '\\\\', '\n': '\\n', ':': '\\c', '\r': '\\r' };

/** `headers` flat, `[name, value, ...]`; a `content-length` among them is replaced by the real one. */
export function encodeFrame(command: string, headers: readonly string[], body?: Uint8Array | string, version?: StompVersion): Uint8Array {
  const re = version === '1.2' ? /[\\\n:\r]/g : version === '1.1' ? /[\\\n:]/g : undefined;
  const e = (s: string) => (re ? s.replace(re, (c) => ESC[c]) : s);
  let head = command + '\n';
  for (let i = 0; i < headers.length; i += 2) if (headers[i] !== 'content-length') head += `${e(headers[i])}:${e(headers[i + 1])}\n`;
  const b = typeof body === 'string' ? utf8Encode(body) : body ?? new Uint8Array(0);
  if (b.length) head += `content-length:${b.length}\n`;
  const h = utf8Encode(head + '\n');
  const out = new Uint8Array(h.length + b.length + 1);
  out.set(h);
  out.set(b, h.length);
  return out;
}
