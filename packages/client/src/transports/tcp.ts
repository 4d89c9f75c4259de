/**
 * STOMP over TCP or TLS in Node.js: `tcp://host:port` (also `stomp://`), and
 * `tls://`, `ssl://`, `stomp+ssl://` for TLS. A byte stream: frames may be split or
 * merged anywhere, which the decoder handles. Nagle is off, as for the broker.
 */
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Transport } from './types.js';

const TLS = /^(tls|ssl|stomp\+ssl|stomps):$/;

export function tcp(tlsOptions: ConnectionOptions = {}): Transport {
  return (url, _protocols, h) => {
    const u = new URL(url);
    const secure = TLS.test(u.protocol);
    const port = Number(u.port || (secure ? 61614 : 61613));
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const socket = secure
      ? tlsConnect({ ...tlsOptions, host, port, servername: tlsOptions.servername ?? (isIP(host) ? undefined : host) }, () => h.onOpen())
      : netConnect({ host, port }, () => h.onOpen());
    socket.setNoDelay(true);
    let error = '';
    socket.on('data', (chunk: Uint8Array) => h.onData(chunk));
    socket.on('error', (err) => (error = err.message));
    socket.on('close', (hadError) => h.onClose(hadError || error ? 1006 : 1000, error));
    return {
      messages: false,
      send: (frame) => void socket.write(frame),
      close: () => void socket.end(),
    };
  };
}
