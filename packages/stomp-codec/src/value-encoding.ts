/**
 * STOMP 1.2 §"Value Encoding", both ways: header names and values escape CR, LF,
 * colon and backslash (1.1 has no \r escape; 1.0, CONNECT and CONNECTED are never
 * escaped: `escapes()` in frame.ts says when).
 */
import { StompCodecError } from './errors.js';
import type { StompVersion } from './frame.js';

export function escapeHeaderValue(s: string, version: StompVersion): string {
  if (version === '1.0') return s;
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c === 92) rep = '\\\\';
    else if (c === 10) rep = '\\n';
    else if (c === 58) rep = '\\c';
    else if (c === 13 && version === '1.2') rep = '\\r';
    if (rep !== undefined) {
      out += s.slice(from, i) + rep;
      from = i + 1;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

/**
 * STOMP 1.2 §"Value Encoding": \r \n \c \\ ; "Undefined escape sequences such as \t
 * MUST be treated as a fatal protocol error." (1.1 defines all but \r; we accept \r in 1.1
 * too, as RabbitMQ does, since no 1.1 peer can mean anything else by it.)
 */
export function unescape(s: string): string {
  let out = '';
  let from = 0;
  for (let i = s.indexOf('\\'); i !== -1; i = s.indexOf('\\', from)) {
    out += s.slice(from, i);
    const c = s.charCodeAt(i + 1);
    if (c === 110) out += '\n';
    else if (c === 99) out += ':';
    else if (c === 92) out += '\\';
    else if (c === 114) out += '\r';
    else throw new StompCodecError('STOMPBOX_ERR_BAD_ESCAPE', `undefined escape sequence '\\${Number.isNaN(c) ? '' : String.fromCharCode(c)}' in header`);
    from = i + 2;
  }
  return out + s.slice(from);
}
