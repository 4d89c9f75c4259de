// A TCP proxy (or, given `{ tls: { key, cert } }`, a TLS-terminating one) on 127.0.0.1 in front of a broker port: `drop()` destroys every open
// connection at once (no closing handshake: a dropped network), `refuse = true` makes
// new connections fail. Works for STOMP over TCP and over WebSocket alike, in Node and
// for Chromium. Not a test file (no `.test.` in the name).
import net from 'node:net';
import tls from 'node:tls';

export async function startProxy(targetPort, options = {}) {
  const sockets = new Set();
  let target = targetPort;
  const accept = (client) => {
    if (proxy.refuse) return client.destroy();
    const upstream = net.connect(target, '127.0.0.1');
    // No Nagle on either side: a lone heart-beat must not wait for an ACK.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pair = [client, upstream];
    sockets.add(pair);
    const end = () => {
      sockets.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
    proxy.accepted++;
  };
  const server = options.tls ? tls.createServer(options.tls, accept) : net.createServer(accept);
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const proxy = {
    port: server.address().port,
    refuse: false,
    accepted: 0,
    get open() {
      return sockets.size;
    },
    /** Points new connections at another port (a restarted broker). */
    retarget(port) {
      target = port;
    },
    drop() {
      const n = sockets.size;
      for (const [a, b] of [...sockets]) {
        // An RST where the socket allows it (plain TCP), else a plain destroy (TLS).
        if (a instanceof tls.TLSSocket) a.destroy();
        else a.resetAndDestroy();
        b.destroy();
      }
      sockets.clear();
      return n;
    },
    async close() {
      proxy.drop();
      await new Promise((r) => server.close(() => r()));
    },
  };
  return proxy;
}
