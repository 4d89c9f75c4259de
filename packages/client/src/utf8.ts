/**
 * UTF-8 for the client, smaller than the codec's (which writes straight into the
 * broker's buffers): TextEncoder/TextDecoder, which every browser and Node have. Runtimes
 * without them (WeChat mini-programs, some uni-app targets) get the short loops of
 * utf8-loops.ts, installed by the mini-program entry (and the single file), so a page
 * does not download them. The results are the codec's, byte for byte and character for
 * character (tests check it): lone surrogates encode as U+FFFD, invalid sequences
 * decode to U+FFFD as WHATWG's decoder does.
 */
export interface Utf8 {
  encode_(s: string): Uint8Array;
  decode_(b: Uint8Array, start: number, end: number): string;
}

const encoder = typeof TextEncoder === 'function' ? new TextEncoder() : undefined;
// ignoreBOM: a leading U+FEFF is data here (a header value, a body), not a byte order mark.
const decoder = typeof TextDecoder === 'function' ? new TextDecoder('utf-8', { ignoreBOM: true }) : undefined;
const missing = (): never => {
  throw new Error('no TextEncoder/TextDecoder here: use @stompbox/client/mini-program');
};

export const utf8: Utf8 = {
  encode_: encoder ? (s) => encoder.encode(s) : missing,
  decode_: decoder ? (b, start, end) => decoder.decode(b.subarray(start, end)) : missing,
};

/** UTF-8 of `s`; lone surrogates become U+FFFD (as TextEncoder does). */
export const utf8Encode = (s: string): Uint8Array => utf8.encode_(s);

export const utf8Decode = (b: Uint8Array, start = 0, end = b.length): string => utf8.decode_(b, start, end);
