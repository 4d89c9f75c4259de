/**
 * UTF-8 without TextEncoder/TextDecoder, for runtimes that have neither (WeChat
 * mini-programs, some uni-app targets). `installUtf8Loops()` puts them in place where
 * the native ones are missing; the mini-program entry calls it.
 */
import { utf8 } from './utf8.js';

export function installUtf8Loops(): void {
  if (typeof TextEncoder !== 'function') utf8.encode_ = utf8EncodeLoop;
  if (typeof TextDecoder !== 'function') utf8.decode_ = utf8DecodeLoop;
}

/** The same without TextEncoder (WeChat and some uni-app runtimes have none). */
export function utf8EncodeLoop(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    let c = ch.codePointAt(0)!;
    if (c >> 11 === 0x1b) c = 0xfffd; // D800..DFFF: a lone surrogate
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}

/**
 * WHATWG's decoder, compact: the allowed range of the first continuation byte is
 * narrowed after E0 (no overlong), ED (no surrogates), F0 (no overlong) and F4
 * (<= U+10FFFF), which leaves no other check; a byte outside the range ends the bad
 * sequence (one U+FFFD) and is read again as the start of the next.
 */
export function utf8DecodeLoop(b: Uint8Array, start = 0, end = b.length): string {
  let s = '';
  for (let i = start; i < end; ) {
    const x = b[i++];
    const n = x < 0x80 ? 0 : x < 0xc2 ? -1 : x < 0xe0 ? 1 : x < 0xf0 ? 2 : x < 0xf5 ? 3 : -1;
    let c = n > 0 ? x & (0x3f >> n) : x;
    let lo = x === 0xe0 ? 0xa0 : x === 0xf0 ? 0x90 : 0x80;
    let hi = x === 0xed ? 0x9f : x === 0xf4 ? 0x8f : 0xbf;
    let k = 0;
    for (; k < n && i < end && b[i] >= lo && b[i] <= hi; k++) {
      c = (c << 6) | (b[i++] & 63);
      lo = 0x80;
      hi = 0xbf;
    }
    s += k < n || n < 0 ? '\ufffd' : String.fromCodePoint(c);
  }
  return s;
}
