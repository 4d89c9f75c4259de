// Small helpers shared by the real-client tests (test/clients/*.test.mjs).
// Not a test file itself (no `.test.` in the name): run-tests.mjs does not pick it up.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** Rejects after `ms` with a message naming what was awaited. */
export function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `pred` every 10 ms until it returns a truthy value. */
export async function waitFor(pred, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * A message callback that collects what it is given: `inbox.cb` is the callback,
 * `next()` waits for the next unread item, `none(ms)` checks that nothing more arrives.
 */
export function inbox(name = 'message') {
  const items = [];
  const waiters = [];
  let read = 0;
  const box = {
    items,
    cb(item) {
      items.push(item);
      const w = waiters.shift();
      if (w) w();
    },
    async next(ms = 3000) {
      while (read >= items.length) {
        await within(new Promise((r) => waiters.push(r)), ms, `${name} #${read + 1}`);
      }
      return items[read++];
    },
    async take(n, ms = 3000) {
      const out = [];
      for (let i = 0; i < n; i++) out.push(await box.next(ms));
      return out;
    },
    /** Waits `ms` and fails if anything unread arrived meanwhile. */
    async none(ms = 300) {
      await sleep(ms);
      if (items.length > read) {
        const extra = items.slice(read).map((m) => (m && typeof m === 'object' && 'body' in m ? m.body : m));
        throw new Error(`expected no more ${name}s, got ${JSON.stringify(extra)}`);
      }
    },
  };
  box.cb = box.cb.bind(box);
  return box;
}

/** Live sessions according to the broker's status page. */
export async function brokerSessions(broker) {
  const res = await fetch(`http://127.0.0.1:${broker.httpPort}/healthz`);
  return (await res.json()).sessions;
}

let counter = 0;
/** A destination name unique within this process. */
export function unique(prefix) {
  return `${prefix}-${process.pid}-${++counter}`;
}

/**
 * Runs an inline script with an interpreter (`/usr/bin/python3 -c`, `php -r`, `perl -e`,
 * `ruby -e`); resolves with the JSON document it printed last.
 */
function runInline(name, cmd, flag, script, args, timeout = 30000) {
  return new Promise((resolve, reject) => {
    execFile(cmd, [flag, script, ...(cmd.endsWith('php') ? ['--'] : []), ...args.map(String)], { timeout }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${name} failed (${err.code ?? err.signal}): ${stderr || err.message}\n${stdout}`));
      const last = stdout.trim().split('\n').pop();
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`${name} printed no JSON: ${stdout}\n${stderr}`));
      }
    });
  });
}

/** Debian's /usr/bin/python3 (where python3-stomp and python3-paho-mqtt are). */
export const python = (script, args) => runInline('python', '/usr/bin/python3', '-c', script, args);
export const php = (script, args) => runInline('php', '/usr/bin/php', '-r', script, args);
export const perl = (script, args) => runInline('perl', '/usr/bin/perl', '-e', script, args);
export const ruby = (script, args) => runInline('ruby', '/usr/bin/ruby', '-e', script, args);

/** Why a test file cannot run here: the Debian package to install, or undefined. */
export function missingUnless(ok, pkgs) {
  return ok ? undefined : `not installed (apt-get install ${pkgs})`;
}

/**
 * A raw STOMP 1.2 subscriber of `destination` (login app/secret), for a third-party MQTT
 * client's message to be seen arriving over STOMP: resolves once its SUBSCRIBE is receipted;
 * `text()` is everything received so far (latin1), `close()` ends it.
 */
export async function stompWatcher(port, destination) {
  const s = net.connect(port, '127.0.0.1');
  let text = '';
  s.on('data', (d) => (text += d.toString('latin1')));
  s.write(`CONNECT\naccept-version:1.2\nhost:/\nlogin:app\npasscode:secret\n\n\0SUBSCRIBE\nid:s\ndestination:${destination}\nreceipt:r\n\n\0`);
  await waitFor(() => text.includes('receipt-id:r'), 3000, 'the SUBSCRIBE receipt');
  return { text: () => text, close: () => s.destroy() };
}

