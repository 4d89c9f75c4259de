/**
 * STOMP frame encoder: one allocation per frame, UTF-8 written directly (no
 * TextEncoder needed). Header values are escaped per version (STOMP 1.2 §"Value
 * Encoding"; 1.1 has no `\r` escape; 1.0, CONNECT and CONNECTED are never escaped).
 * A `content-length` header is always written for a non-empty body (unless told not
 * to), so a peer that loses the trailing NUL, or a body holding NULs, still reads right.
 */
import { escapes, type StompVersion } from './frame.js';
import { escapeHeaderValue } from './value-encoding.js';
import { utf8Encode, utf8Length, utf8Write } from './utf8.js';

export interface EncodeOptions {
  /** Version whose escaping applies; undefined = none (before negotiation). */
  version?: StompVersion;
  /** Write `content-length` for the body (default: when the body is not empty). */
  contentLength?: boolean;
  /**
   * Follow the NUL with an EOL (STOMP 1.2 §"Augmented BNF": `frame = command EOL *( header EOL )
   * EOL *OCTET NULL *( EOL )`). RabbitMQ always sends it, and some clients (php-stomp 2.0)
   * read a frame's end as NUL then one more byte: without it they eat the next command's
   * first letter.
   */
  eol?: boolean;
}

/**
 * Encodes a frame. `headers` is a flat `[name, value, ...]` array or a record; a
 * `content-length` among them is replaced by the real one.
 */
export function encodeFrame(
  command: string,
  headers: readonly string[] | Readonly<Record<string, string>>,
  body?: Uint8Array | string,
  options: EncodeOptions = {},
): Uint8Array {
  const flat: readonly string[] = Array.isArray(headers) ? headers : flatten(headers as Record<string, string>);
  const bodyBytes = typeof body === 'string' ? utf8Encode(body) : body ?? EMPTY;
  const esc = escapes(options.version, command);
  const version = options.version ?? '1.0';
  const withLength = options.contentLength ?? bodyBytes.length > 0;
  const parts: string[] = [];
  let size = utf8Length(command) + 1;
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === 'content-length') continue;
    const name = esc ? escapeHeaderValue(flat[i], version) : flat[i];
    const value = esc ? escapeHeaderValue(flat[i + 1], version) : flat[i + 1];
    parts.push(name, value);
    size += utf8Length(name) + utf8Length(value) + 2;
  }
  const lengthLine = withLength ? `content-length:${bodyBytes.length}\n` : '';
  size += lengthLine.length + 1 + bodyBytes.length + (options.eol === true ? 2 : 1);
  const out = new Uint8Array(size);
  let o = utf8Write(command, out, 0);
  out[o++] = 10;
  for (let i = 0; i < parts.length; i += 2) {
    o = utf8Write(parts[i], out, o);
    out[o++] = 58;
    o = utf8Write(parts[i + 1], out, o);
    out[o++] = 10;
  }
  o = utf8Write(lengthLine, out, o);
  out[o++] = 10;
  out.set(bodyBytes, o);
  o += bodyBytes.length;
  out[o++] = 0;
  if (options.eol === true) out[o] = 10;
  return out;
}

const EMPTY = new Uint8Array(0);

function flatten(record: Record<string, string>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(record)) {
    const v = record[k];
    if (v !== undefined && v !== null) out.push(k, String(v));
  }
  return out;
}
