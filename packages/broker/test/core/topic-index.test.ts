import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TopicIndex } from '../../src/core/topic-index.js';
import type { Subscription } from '../../src/core/subscription.js';
import { FakeTarget, makeSub } from './fake-target.js';

const target = new FakeTarget();
let seq = 0;

/** Destinations (of the subscriptions) matching `dest`, sorted; fails on a duplicate. */
function matched(index: TopicIndex<Subscription>, dest: string): string[] {
  const subs = index.match(dest, ++seq);
  assert.equal(new Set(subs).size, subs.length, `a subscription was returned twice for ${dest}`);
  return subs.map((s) => s.destination).sort();
}

function indexOf(...dests: string[]): { index: TopicIndex<Subscription>; subs: Subscription[] } {
  const index = new TopicIndex<Subscription>('/topic/');
  const subs = dests.map((d) => makeSub(target, d));
  for (const s of subs) index.add(s.destination, s);
  return { index, subs };
}

/** Internals, to check that removal prunes the trie. */
interface TrieNode {
  words: Map<string, TrieNode>;
  star: TrieNode | undefined;
  hash: TrieNode | undefined;
  subs: Subscription[];
}
function internals(index: TopicIndex<Subscription>): { root: TrieNode; exact: Map<string, Subscription[]> } {
  return index as unknown as { root: TrieNode; exact: Map<string, Subscription[]> };
}

describe('TopicIndex: RabbitMQ topic semantics', () => {
  it('`*` matches exactly one word', () => {
    const { index } = indexOf('/topic/a.*', '/topic/*', '/topic/*.b');
    assert.deepEqual(matched(index, '/topic/a.b'), ['/topic/*.b', '/topic/a.*']);
    assert.deepEqual(matched(index, '/topic/a'), ['/topic/*']);
    assert.deepEqual(matched(index, '/topic/a.b.c'), []);
    assert.deepEqual(matched(index, '/topic/x.y'), []);
  });

  it('`a.#` matches a, a.b and a.b.c but not b or ab', () => {
    const { index } = indexOf('/topic/a.#');
    for (const key of ['a', 'a.b', 'a.b.c', 'a.a.a.a']) assert.deepEqual(matched(index, `/topic/${key}`), ['/topic/a.#'], key);
    for (const key of ['b', 'ab', 'b.a']) assert.deepEqual(matched(index, `/topic/${key}`), [], key);
  });

  it('`#` matches everything under /topic/ and nothing outside it', () => {
    const { index } = indexOf('/topic/#');
    for (const key of ['a', 'a.b', 'x.y.z.w', '*', '#']) assert.deepEqual(matched(index, `/topic/${key}`), ['/topic/#'], key);
    for (const dest of ['/queue/a', '/exchange/a', '/response/1/2']) assert.deepEqual(matched(index, dest), [], dest);
  });

  it('`*.b.#` needs one word before b and any number after', () => {
    const { index } = indexOf('/topic/*.b.#');
    for (const key of ['a.b', 'x.b.c', 'x.b.c.d']) assert.deepEqual(matched(index, `/topic/${key}`), ['/topic/*.b.#'], key);
    for (const key of ['b', 'b.c', 'a.c.b', 'a.x.b.c']) assert.deepEqual(matched(index, `/topic/${key}`), [], key);
  });

  it('`#` in the middle and at the start match zero words too', () => {
    const { index } = indexOf('/topic/a.#.z', '/topic/#.z');
    assert.deepEqual(matched(index, '/topic/a.z'), ['/topic/#.z', '/topic/a.#.z']);
    assert.deepEqual(matched(index, '/topic/a.b.c.z'), ['/topic/#.z', '/topic/a.#.z']);
    assert.deepEqual(matched(index, '/topic/z'), ['/topic/#.z']);
    assert.deepEqual(matched(index, '/topic/a.z.b'), []);
  });

  it('`#.#` and overlapping patterns deliver once per subscription', () => {
    const { index } = indexOf('/topic/#.#', '/topic/#', '/topic/a.#.#', '/topic/#.*.#', '/topic/a.b');
    assert.deepEqual(matched(index, '/topic/a.b'), ['/topic/#', '/topic/#.#', '/topic/#.*.#', '/topic/a.#.#', '/topic/a.b']);
    assert.deepEqual(matched(index, '/topic/a'), ['/topic/#', '/topic/#.#', '/topic/#.*.#', '/topic/a.#.#']);
  });

  it('several subscriptions on one key or pattern all match', () => {
    const { index, subs } = indexOf('/topic/a.*', '/topic/a.*', '/topic/a.b', '/topic/a.b');
    const got = index.match('/topic/a.b', ++seq);
    assert.equal(got.length, 4);
    assert.deepEqual(new Set(got), new Set(subs));
  });

  it('a match with no pattern returns the exact list without allocating', () => {
    const { index } = indexOf('/topic/a.b');
    assert.equal(index.match('/topic/a.b', ++seq), index.match('/topic/a.b', ++seq));
  });
});

describe('TopicIndex: exact destinations', () => {
  it('destinations outside /topic/ are never patterns', () => {
    const index = new TopicIndex<Subscription>('/topic/');
    for (const d of ['/exchange/a.*', '/response/#', '/queue/#', '#', '*', '/topicx/#']) {
      assert.equal(index.isPattern(d), false, d);
      index.add(d, makeSub(target, d));
    }
    assert.deepEqual(matched(index, '/exchange/a.b'), []);
    assert.deepEqual(matched(index, '/exchange/a.*'), ['/exchange/a.*']);
    assert.deepEqual(matched(index, '/response/1/2'), []);
    assert.deepEqual(matched(index, '/response/#'), ['/response/#']);
    assert.deepEqual(matched(index, '/topicx/a'), []);
    assert.deepEqual(matched(index, 'x'), []);
    assert.deepEqual(matched(index, '#'), ['#']);
  });

  it('`*` or `#` inside a word is a literal character, not a wildcard', () => {
    const { index } = indexOf('/topic/a*', '/topic/a.b#', '/topic/*a.b');
    assert.equal(index.isPattern('/topic/a*'), false);
    assert.deepEqual(matched(index, '/topic/ab'), []);
    assert.deepEqual(matched(index, '/topic/a*'), ['/topic/a*']);
    assert.deepEqual(matched(index, '/topic/a.b'), []);
    assert.deepEqual(matched(index, '/topic/a.b#'), ['/topic/a.b#']);
    assert.deepEqual(matched(index, '/topic/xa.b'), []);
  });

  it('exact and pattern subscriptions on /topic/ combine', () => {
    const { index } = indexOf('/topic/a.b', '/topic/a.*', '/topic/a.c');
    assert.deepEqual(matched(index, '/topic/a.b'), ['/topic/a.*', '/topic/a.b']);
  });
});

describe('TopicIndex: removal', () => {
  it('removes one subscription and leaves the others on the same key', () => {
    const { index, subs } = indexOf('/topic/a.*', '/topic/a.*', '/exchange/x', '/exchange/x');
    index.remove('/topic/a.*', subs[0]);
    index.remove('/exchange/x', subs[3]);
    assert.deepEqual(index.match('/topic/a.b', ++seq), [subs[1]]);
    assert.deepEqual(index.match('/exchange/x', ++seq), [subs[2]]);
    assert.equal(index.size, 2);
  });

  it('removing what is not there changes nothing', () => {
    const { index, subs } = indexOf('/topic/a.*', '/exchange/x');
    const stranger = makeSub(target, '/topic/a.*');
    index.remove('/topic/a.*', stranger);
    index.remove('/topic/a.#', stranger);
    index.remove('/topic/zz.*', stranger);
    index.remove('/exchange/x', stranger);
    index.remove('/exchange/y', stranger);
    assert.equal(index.size, 2);
    assert.deepEqual(index.match('/topic/a.q', ++seq), [subs[0]]);
  });

  it('adding and removing many random patterns leaves an empty, pruned index', () => {
    const dest = fc.oneof(
      fc.array(fc.constantFrom('a', 'b', '*', '#'), { minLength: 1, maxLength: 5 }).map((ws) => `/topic/${ws.join('.')}`),
      fc.constantFrom('/exchange/a', '/queue/#', '/topic/a'),
    );
    fc.assert(
      fc.property(fc.array(dest, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 40 }), (dests, order) => {
        const { index, subs } = indexOf(...dests);
        assert.equal(index.size, dests.length);
        // Remove in a shuffled order derived from `order`.
        const left = [...subs];
        let n = dests.length;
        for (const k of order) {
          if (left.length === 0) break;
          const [s] = left.splice(k % left.length, 1);
          index.remove(s.destination, s);
          assert.equal(index.size, --n);
        }
        for (const s of left) index.remove(s.destination, s);
        assert.equal(index.size, 0);
        const { root, exact } = internals(index);
        assert.equal(exact.size, 0);
        assert.equal(root.words.size, 0);
        assert.equal(root.star, undefined);
        assert.equal(root.hash, undefined);
        assert.equal(root.subs.length, 0);
        assert.deepEqual(index.match('/topic/a.b', ++seq), []);
      }),
      { numRuns: 200 },
    );
  });
});

/** Reference matcher: the pattern as a regex over the key with a `.` before every word. */
function referenceMatch(pattern: string, key: string): boolean {
  const re = pattern
    .split('.')
    .map((w) => (w === '*' ? '\\.[^.]+' : w === '#' ? '(?:\\.[^.]+)*' : `\\.${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
    .join('');
  return new RegExp(`^${re}$`).test(`.${key}`);
}

describe('TopicIndex: property', () => {
  it('reference matcher sanity', () => {
    assert.equal(referenceMatch('a.#', 'a'), true);
    assert.equal(referenceMatch('#.#', 'a'), true);
    assert.equal(referenceMatch('*.b.#', 'a.b'), true);
    assert.equal(referenceMatch('*.b.#', 'b'), false);
    assert.equal(referenceMatch('a.*', 'a'), false);
  });

  it('match agrees with a regex reference over random patterns and keys', () => {
    const word = fc.constantFrom('a', 'b', 'c');
    const pattern = fc.array(fc.oneof(word, fc.constantFrom('*', '#')), { minLength: 1, maxLength: 5 }).map((ws) => ws.join('.'));
    const key = fc.array(word, { minLength: 1, maxLength: 6 }).map((ws) => ws.join('.'));
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 25 }), fc.array(key, { minLength: 1, maxLength: 10 }), (patterns, keys) => {
        const { index, subs } = indexOf(...patterns.map((p) => `/topic/${p}`));
        for (const k of keys) {
          const got = index.match(`/topic/${k}`, ++seq);
          assert.equal(new Set(got).size, got.length, `duplicate for ${k}`);
          const expected = subs.filter((_, i) => referenceMatch(patterns[i], k));
          assert.deepEqual(new Set(got), new Set(expected), `key ${k} over ${patterns.join(' ')}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('TopicIndex: first in, last out (a node\'s interest, core/bus.ts)', () => {
  it('add is true for the first subscriber of a key, remove for the last; unknown removes are false', () => {
    const idx = new TopicIndex<{ lastSeq: number }>('/topic/');
    const [s1, s2] = [{ lastSeq: 0 }, { lastSeq: 0 }];
    for (const key of ['/topic/a.b', '/topic/a.*', '/response/1']) {
      assert.equal(idx.add(key, s1), true, key);
      assert.equal(idx.add(key, s2), false, key);
      assert.equal(idx.remove(key, s1), false, key);
      assert.equal(idx.remove(key, s1), false, `${key}: already gone`);
      assert.equal(idx.remove(key, s2), true, key);
    }
    assert.equal(idx.size, 0);
  });
});
