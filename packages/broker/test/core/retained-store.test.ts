/**
 * Retained messages in the store (core/retained-store.ts): every change written
 * through as it happens, loaded back by `router.recover()` with their QoS (persistent
 * or not), without the expired ones (removed from the store too) and without the
 * destinations the broker does not keep.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RetainedMessages } from '../../src/core/retained.js';
import { keepRetainedInStore } from '../../src/core/retained-store.js';
import { Router } from '../../src/core/router.js';
import { MemoryStore } from '../../src/store/memory.js';
import { msg, text } from './fake-target.js';

const notSys = (dest: string) => !dest.startsWith('/topic/$SYS.');

async function start(store: MemoryStore): Promise<{ router: Router; retained: RetainedMessages }> {
  await store.open();
  const router = new Router({ store, maxDeliveries: 0, deadLetterQueue: '/queue/dlq' });
  const retained = new RetainedMessages(100);
  keepRetainedInStore(router, retained, notSys);
  await router.recover();
  return { router, retained };
}

const summary = (r: RetainedMessages) => r.match('/topic/#').map((m) => `${m.destination} ${text(m)} ${m.persistent ? 'p' : 't'}`).sort();

describe('RetainedStore', () => {
  it('kept, replaced and cleared messages are written through; a restart loads what is left with its QoS', async () => {
    const store = new MemoryStore();
    const { router, retained } = await start(store);
    retained.set(msg('/topic/a', 'old', { persistent: true }));
    retained.set(msg('/topic/b', 'cleared', { persistent: true }));
    await router.flush();
    retained.set(msg('/topic/a', 'new'));
    retained.set(msg('/topic/b', ''));
    retained.set(msg('/topic/c', 'c', { persistent: true }));
    retained.set(msg('/topic/$SYS.broker.uptime', '12'));
    await router.flush();
    assert.equal(await store.messageCount(), 2, 'replaced and cleared bodies are gone');

    const again = await start(store);
    assert.deepEqual(summary(again.retained), ['/topic/a new t', '/topic/c c p']);
  });

  it('a message replaced in the turn it was kept is never written', async () => {
    const store = new MemoryStore();
    const { router, retained } = await start(store);
    for (let i = 0; i < 10; i++) retained.set(msg('/topic/fast', `v${i}`));
    await router.flush();
    assert.equal(await store.messageCount(), 1);
    const again = await start(store);
    assert.deepEqual(summary(again.retained), ['/topic/fast v9 t']);
  });

  it('expired messages are not loaded, and leave the store', async () => {
    const store = new MemoryStore();
    const { router, retained } = await start(store);
    retained.set(msg('/topic/soon', 'gone', { persistent: true, expires: Date.now() + 10 }));
    retained.set(msg('/topic/later', 'stays', { persistent: true, expires: Date.now() + 60_000 }));
    await router.flush();
    await new Promise((r) => setTimeout(r, 20));
    const again = await start(store);
    assert.deepEqual(summary(again.retained), ['/topic/later stays p']);
    await again.router.flush();
    assert.equal(await store.messageCount(), 1);
  });
});
