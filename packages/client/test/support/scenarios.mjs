// The one client test suite, run over every transport: Node `ws`, TCP, a fake `wx`
// and a fake `uni` (in a bare mini-program runtime), and headless Chromium. Each
// scenario is a self-contained `async (env) => {}`: it uses nothing but `env`, so its
// source can be sent into a browser page and run there unchanged.
//
// env: client(options) makes a tracked Client for this transport (url, login and a
// short heart-beat filled in); url, deadUrl (nothing listens there); drop() ends every
// connection of this transport without a closing handshake; unique(prefix);
// sleep(ms); inbox(); eq/deep/ok assertions; kind ('ws', 'tcp', 'wx', 'uni', 'chromium').
// Not a test file.

export const scenarios = [
  ['publish resolves on the RECEIPT and the subscriber gets it: UTF-8 text and binary bodies', async (env) => {
    const c = env.client();
    await c.connect();
    const dest = `/topic/${env.unique('round')}`;
    const box = env.inbox();
    const sub = c.subscribe(dest, box.push);
    await sub.ready;
    const text = 'héllo, 世界 😀 \u0000 NUL inside, and a long tail: ' + 'x'.repeat(3000);
    await c.publish(dest, text, { headers: { 'x-colon': 'a:b', 'x-newline': 'line1\nline2' }, contentType: 'text/plain' });
    const bin = new Uint8Array([0, 1, 2, 0xfe, 0xff, 0, 10, 13]);
    await c.publish(dest, bin);
    const [m1, m2] = await box.take(2);
    env.eq(m1.body, text, 'text body');
    env.eq(m1.headers['x-colon'], 'a:b', 'escaped colon in a header value');
    env.eq(m1.headers['x-newline'], 'line1\nline2', 'escaped newline in a header value');
    env.eq(m1.headers['content-type'], 'text/plain');
    env.eq(m1.destination, dest);
    env.deep(Array.from(m2.binaryBody), Array.from(bin), 'binary body, byte for byte');
    await c.disconnect();
  }],

  ['subscribe without a callback is an async iterator; leaving the loop unsubscribes', async (env) => {
    const c = env.client();
    await c.connect();
    const dest = `/topic/${env.unique('iter')}`;
    const sub = c.subscribe(dest);
    await sub.ready;
    for (let i = 0; i < 3; i++) await c.publish(dest, `m${i}`);
    const got = [];
    for await (const m of sub) {
      got.push(m.body);
      if (got.length === 3) break;
    }
    env.deep(got, ['m0', 'm1', 'm2']);
    env.eq(sub.active, false, 'unsubscribed by break');
    await c.disconnect();
  }],

  ["ack: 'client-individual': nack() redelivers, ack() removes", async (env) => {
    const c = env.client();
    await c.connect();
    const q = `/queue/${env.unique('acks')}`;
    const box = env.inbox();
    const sub = c.subscribe(q, box.push, { ack: 'client-individual' });
    await sub.ready;
    await c.publish(q, 'try me twice');
    const first = await box.next();
    await first.nack({ receipt: true });
    const second = await box.next();
    env.eq(second.body, 'try me twice');
    env.eq(second.headers.redelivered, 'true');
    await second.ack({ receipt: true });
    await box.none(200);
    await c.disconnect();
  }],

  ['a transaction is held until commit(); abort() drops it', async (env) => {
    const c = env.client();
    await c.connect();
    const q = `/queue/${env.unique('tx')}`;
    const box = env.inbox();
    await c.subscribe(q, box.push).ready;
    const tx = c.begin();
    tx.publish(q, 'in tx 1');
    tx.publish(q, 'in tx 2');
    await c.publish(q, 'outside');
    env.eq((await box.next()).body, 'outside');
    await box.none(150);
    await tx.commit();
    env.deep((await box.take(2)).map((m) => m.body), ['in tx 1', 'in tx 2']);
    const dropped = c.begin();
    dropped.publish(q, 'never');
    await dropped.abort();
    await c.publish(q, 'after abort');
    env.eq((await box.next()).body, 'after abort');
    await box.none(150);
    await c.disconnect();
  }],

  ['what is published and subscribed before connect() goes out, in order, once connected', async (env) => {
    const c = env.client();
    const dest = `/topic/${env.unique('early')}`;
    const box = env.inbox();
    c.subscribe(dest, box.push);
    const sent = [1, 2, 3, 4, 5].map((i) => c.publish(dest, `early ${i}`));
    env.eq(c.pending, 5, 'queued while offline');
    await c.connect();
    await Promise.all(sent);
    env.deep((await box.take(5)).map((m) => m.body), [1, 2, 3, 4, 5].map((i) => `early ${i}`));
    await c.disconnect();
  }],

  ['several URLs: one where nothing listens is skipped', async (env) => {
    const c = env.client({ urls: [env.deadUrl, env.url], reconnect: { initialDelay: 50 } });
    const seen = [];
    c.on('connected', (e) => seen.push(e.url));
    await c.connect();
    env.deep(seen, [env.url]);
    await c.disconnect();
  }],

  ['a dropped connection: reconnects, renews the subscription before flushing queued sends, loses nothing', async (env) => {
    const c = env.client({ reconnect: { initialDelay: 50, maxDelay: 200 } });
    const statuses = [];
    c.on('status', (s) => statuses.push(s));
    await c.connect();
    const dest = `/topic/${env.unique('drop')}`;
    const box = env.inbox();
    await c.subscribe(dest, box.push).ready;
    await c.publish(dest, 'before');
    env.eq((await box.next()).body, 'before');
    env.drop();
    // Sent while the connection is down (or dying): queued, then written after the SUBSCRIBE.
    const after = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => c.publish(dest, `after ${i}`));
    await Promise.all(after);
    const got = (await box.take(10, 8000)).map((m) => m.body);
    env.deep(got, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => `after ${i}`));
    await box.none(200);
    env.ok(statuses.includes('reconnecting'), `statuses: ${statuses}`);
    env.eq(statuses[statuses.length - 1], 'connected');
    await c.disconnect();
  }],

  ['disconnect() flushes: what was published just before it is delivered', async (env) => {
    const observer = env.client();
    await observer.connect();
    const q = `/queue/${env.unique('flush')}`;
    const box = env.inbox();
    await observer.subscribe(q, box.push).ready;
    const c = env.client();
    await c.connect();
    const sends = [1, 2, 3].map((i) => c.publish(q, `last words ${i}`));
    await c.disconnect();
    await Promise.all(sends);
    env.deep((await box.take(3)).map((m) => m.body), ['last words 1', 'last words 2', 'last words 3']);
    env.eq(c.status, 'disconnected');
    await observer.disconnect();
  }],

  ['a refused login rejects connect() with STOMPBOX_CLIENT_ERR_CONNECT_REFUSED and does not retry', async (env) => {
    const c = env.client({ passcode: 'wrong', reconnect: { initialDelay: 10 } });
    let connects = 0;
    c.on('status', (s) => s === 'connecting' && connects++);
    let error;
    await c.connect().catch((e) => (error = e));
    env.ok(error, 'connect() rejected');
    env.eq(error.code, 'STOMPBOX_CLIENT_ERR_CONNECT_REFUSED');
    env.ok(/refused/.test(error.message), error.message);
    env.eq(error.frame.command, 'ERROR');
    await env.sleep(100);
    env.eq(c.status, 'disconnected');
    env.eq(connects, 1, 'no retry after a refusal');
  }],

  ['heart-beats every 200 ms keep an idle connection up', async (env) => {
    const c = env.client({ heartbeat: { outgoing: 200, incoming: 200 } });
    const lost = [];
    c.on('disconnected', (e) => lost.push(e));
    await c.connect();
    await env.sleep(800);
    env.eq(lost.length, 0, 'no disconnect');
    env.eq(c.status, 'connected');
    await c.disconnect();
  }],
];
