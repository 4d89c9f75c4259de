/**
 * A transport opens one connection to a URL and reports what happens to it. It keeps
 * its state in the returned object only (no module-level socket), so any number of
 * clients can run side by side. `messages: true` says each `onData` is one whole
 * WebSocket message: the session then ends a frame at a message boundary even when its
 * trailing NUL was lost.
 */
export interface TransportHandlers {
  onOpen(): void;
  /** A text message (string), binary data, or a chunk of a byte stream. */
  onData(data: string | ArrayBuffer | Uint8Array): void;
  /** Called at most once, never from within the transport call itself; 1006 when the connection dropped without a closing handshake. */
  onClose(code: number, reason: string): void;
}

export interface TransportConnection {
  /** `binary`: the frame's body is bytes; text transports then send a binary message. */
  send(frame: Uint8Array, binary: boolean): void;
  close(): void;
  readonly messages: boolean;
}

export type Transport = (url: string, protocols: string[], handlers: TransportHandlers) => TransportConnection;

/** STOMP's WebSocket sub-protocols, highest first (brokers pick the highest they speak). */
export const STOMP_PROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

/** The exact ArrayBuffer of a view (mini-program APIs take an ArrayBuffer, not a view). */
export function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.slice().buffer) as ArrayBuffer;
}
