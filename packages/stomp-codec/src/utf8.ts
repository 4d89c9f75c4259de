/**
 * UTF-8 without relying on TextEncoder/TextDecoder or Buffer: WeChat mini-programs and
 * some uni-app runtimes have neither. Where TextDecoder exists it is used for long
 * strings (it is faster there); short ASCII runs, the common case for header names and
 * values, are decoded with a plain loop, which beats TextDecoder's call overhead.
 * Invalid sequences decode to U+FFFD, as WHATWG's decoder does.
 */

// ignoreBOM: a leading U+FEFF is data here (a header value, a body), not a byte order mark.
const decoder: { decode(b: Uint8Array): string } | undefined =
  typeof TextDecoder === 'function' ? new TextDecoder('utf-8', { ignoreBOM: true }) : undefined;

export function utf8Decode(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const n = end - start;
  if (n <= 0) return '';
  if (n > 64 && decoder !== undefined) return decoder.decode(bytes.subarray(start, end));
  let out = '';
  let i = start;
  while (i < end) {
    const b = bytes[i];
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    let cp = 0xfffd;
    let need = 0;
    let min = 0;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0x0f; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 0x07; min = 0x10000; }
    // WHATWG: the first continuation byte is narrowed for E0 (no overlong), ED (no
    // surrogates), F0 (no overlong) and F4 (<= U+10FFFF); a byte outside the range ends
    // the invalid sequence without being consumed, so E0 80 80 gives three U+FFFD.
    let lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    let hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    let j = 1;
    for (; j <= need; j++) {
      const c = i + j < end ? bytes[i + j] : -1;
      if (c < lo || c > hi) break;
      cp = (cp << 6) | (c & 0x3f);
      lo = 0x80;
      hi = 0xbf;
    }
    if (need === 0 || j <= need || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      out += '\ufffd';
      i += need === 0 ? 1 : Math.max(1, j);
      continue;
    }
    i += need + 1;
    if (cp > 0xffff) {
      cp -= 0x10000;
      out += String.fromCharCode(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else {
      out += String.fromCharCode(cp);
    }
  }
  return out;
}

/** Bytes needed to encode `s` as UTF-8 (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Writes `s` as UTF-8 into `out` at `offset`; returns the offset after it. `out` must have room (see utf8Length). */
export function utf8Write(s: string, out: Uint8Array, offset: number): number {
  let o = offset;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
    } else if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && (d & 0xfc00) === 0xdc00) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          out[o++] = 0xf0 | (cp >> 18);
          out[o++] = 0x80 | ((cp >> 12) & 0x3f);
          out[o++] = 0x80 | ((cp >> 6) & 0x3f);
          out[o++] = 0x80 | (cp & 0x3f);
          i++;
          continue;
        }
        c = 0xfffd;
      }
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
    }
  }
  return o;
}

export function utf8Encode(s: string): Uint8Array {
  const out = new Uint8Array(utf8Length(s));
  utf8Write(s, out, 0);
  return out;
}
