/**
 * RFC 6455 §5.2 frame header for a server-to-client frame: FIN set, no mask,
 * opcode 0x1 (text) or 0x2 (binary), 7/16/64-bit payload length.
 */
export function wsHeaderLength(len: number): number {
  return len < 126 ? 2 : len < 65536 ? 4 : 10;
}

/** Writes the header at `o`; returns the offset after it. */
export function writeWsHeader(b: Buffer, o: number, len: number, binary: boolean): number {
  b[o++] = binary ? 0x82 : 0x81;
  if (len < 126) {
    b[o++] = len;
  } else if (len < 65536) {
    b[o++] = 126;
    b[o++] = len >>> 8;
    b[o++] = len & 0xff;
  } else {
    b[o++] = 127;
    b.writeUInt32BE(Math.floor(len / 0x100000000), o);
    b.writeUInt32BE(len >>> 0, o + 4);
    o += 8;
  }
  return o;
}
