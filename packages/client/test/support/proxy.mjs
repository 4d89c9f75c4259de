// A TCP proxy on 127.0.0.1 in front of a broker port: `drop()` destroys every open
// connection at once (no closing handshake: a dropped network), `refuse = true` makes
// new connections fail. Works for STOMP over TCP and over WebSocket alike, in Node and
// for Chromium. Not a test file (no `.test.` in the name).
import net from 'node:net';

export async function startProxy(targetPort) {
  const sockets = new Set();
  let target = targetPort;
  const server = net.createServer((client) => {
    if (proxy.refuse) return client.destroy();
    const upstream = net.connect(target, '127.0.0.1');
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
  });
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
        a.resetAndDestroy?.() ?? a.destroy();
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
