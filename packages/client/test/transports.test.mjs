// The shared client suite (support/scenarios.mjs) over every Node-side transport:
// `ws`, TCP and TLS (through a proxy that can drop connections), and the fake WeChat and
// uni-app socket APIs in a bare mini-program runtime (no window, WebSocket,
// TextEncoder or Buffer), plain and with the trailing NUL stripped, frames split and
// merged. Chromium runs the same scenarios in browser.test.mjs.
import { after, afterEach, before, describe, test } from 'node:test';
import { spawnBroker } from '../../broker/dist/test/support/spawn-broker.js';
import { startProxy } from './support/proxy.mjs';
import { scenarios } from './support/scenarios.mjs';
import { BROKER_ARGS, TLS, makeEnv } from './support/env.mjs';

let broker;
const proxies = {};

before(async () => {
  broker = await spawnBroker(BROKER_ARGS);
  proxies.ws = await startProxy(broker.httpPort);
  proxies.tcp = await startProxy(broker.stompPort);
  proxies.tls = await startProxy(broker.stompPort, { tls: TLS });
});

after(async () => {
  await proxies.ws?.close();
  await proxies.tcp?.close();
  await proxies.tls?.close();
  await broker?.stop();
});

const variants = [
  ['ws', 'Node ws', {}],
  ['tcp', 'TCP', {}],
  ['tls', 'TLS (verified against a test certificate)', {}],
  ['wx', 'fake wx', {}],
  ['wx', 'fake wx, NUL stripped, frames split and merged', { stripNul: true, split: true, merge: true }],
  ['uni', 'fake uni', {}],
  ['uni', 'fake uni, NUL stripped', { stripNul: true }],
];

for (const [kind, name, fake] of variants) {
  describe(`client over ${name}`, { timeout: 60000 }, () => {
    let env;
    before(async () => (env = await makeEnv(kind, broker, proxies[kind], fake)));
    afterEach(() => env.cleanup());
    for (const [title, fn] of scenarios) test(title, { timeout: 20000 }, () => fn(env));
    if (fake.stripNul) {
      test('the switches were really on', () => {
        if (env.mini.stripped === 0) throw new Error('no NUL was stripped');
      });
    }
  });
}
