/**
 * A decoded STOMP frame. Headers are a flat array `[name0, value0, name1, value1, ...]`
 * in wire order: no object per frame on the hot path, and repeated headers are kept
 * (STOMP 1.2: "If a client or a server receives repeated frame header entries, only the
 * first header entry SHOULD be used as the value of header entry" — see `getHeader`).
 */
export interface Frame {
  command: string;
  headers: string[];
  /** A view: valid only until the next `push` unless copied. */
  body: Uint8Array;
}

export type StompVersion = '1.0' | '1.1' | '1.2';

/** STOMP 1.2 §"Repeated Header Entries": the first occurrence wins. */
export function getHeader(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) return headers[i + 1];
  }
  return undefined;
}

/** Flat header array from a record (client convenience; not used on broker hot paths). */
export function headersFromRecord(record: Record<string, string | number | boolean | undefined | null>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(record)) {
    const v = record[k];
    if (v === undefined || v === null) continue;
    out.push(k, String(v));
  }
  return out;
}

/** Record from a flat header array; the first of repeated headers wins. */
export function headersToRecord(headers: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < headers.length; i += 2) {
    if (!Object.prototype.hasOwnProperty.call(out, headers[i])) out[headers[i]] = headers[i + 1];
  }
  return out;
}

/**
 * Which versions escape header values. STOMP 1.0 has no escaping; 1.1 escapes
 * `\n`, `:` and `\\`; 1.2 adds `\r`. CONNECT and CONNECTED frames are never
 * escaped (1.2 §"Value Encoding"), to stay readable by 1.0 peers.
 */
export function escapes(version: StompVersion | undefined, command: string): boolean {
  if (version === undefined || version === '1.0') return false;
  return command !== 'CONNECT' && command !== 'CONNECTED' && command !== 'STOMP';
}
