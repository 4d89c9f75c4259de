import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Deque } from '../../src/core/deque.js';

type Model = { items: number[] };
type Real = Deque<number>;

function same(m: Model, r: Real): void {
  assert.equal(r.length, m.items.length);
  assert.deepEqual([...r], m.items);
  for (let i = 0; i < m.items.length; i++) assert.equal(r.at(i), m.items[i]);
  assert.equal(r.peek(), m.items[0]);
}

class Push implements fc.Command<Model, Real> {
  constructor(readonly v: number) {}
  check(): boolean { return true; }
  run(m: Model, r: Real): void { m.items.push(this.v); r.push(this.v); same(m, r); }
  toString(): string { return `push(${this.v})`; }
}

class Unshift implements fc.Command<Model, Real> {
  constructor(readonly v: number) {}
  check(): boolean { return true; }
  run(m: Model, r: Real): void { m.items.unshift(this.v); r.unshift(this.v); same(m, r); }
  toString(): string { return `unshift(${this.v})`; }
}

class Shift implements fc.Command<Model, Real> {
  check(): boolean { return true; }
  run(m: Model, r: Real): void { assert.equal(r.shift(), m.items.shift()); same(m, r); }
  toString(): string { return 'shift()'; }
}

class RemoveAt implements fc.Command<Model, Real> {
  constructor(readonly k: number) {}
  check(m: Readonly<Model>): boolean { return m.items.length > 0; }
  run(m: Model, r: Real): void {
    const i = this.k % m.items.length;
    assert.equal(r.removeAt(i), m.items.splice(i, 1)[0]);
    same(m, r);
  }
  toString(): string { return `removeAt(${this.k} % length)`; }
}

class Clear implements fc.Command<Model, Real> {
  check(): boolean { return true; }
  run(m: Model, r: Real): void { m.items = []; r.clear(); same(m, r); }
  toString(): string { return 'clear()'; }
}

/** Many pushes at once, to make the ring grow while it wraps around. */
class PushMany implements fc.Command<Model, Real> {
  constructor(readonly n: number, readonly front: boolean) {}
  check(): boolean { return true; }
  run(m: Model, r: Real): void {
    for (let i = 0; i < this.n; i++) {
      const v = 1000 + i;
      if (this.front) { m.items.unshift(v); r.unshift(v); } else { m.items.push(v); r.push(v); }
    }
    same(m, r);
  }
  toString(): string { return `${this.front ? 'unshift' : 'push'}Many(${this.n})`; }
}

const commands = [
  fc.integer().map((v) => new Push(v)),
  fc.integer().map((v) => new Unshift(v)),
  fc.constant(new Shift()),
  fc.constant(new Shift()),
  fc.nat().map((k) => new RemoveAt(k)),
  fc.nat().map((k) => new RemoveAt(k)),
  fc.constant(new Clear()),
  fc.tuple(fc.integer({ min: 1, max: 40 }), fc.boolean()).map(([n, f]) => new PushMany(n, f)),
];

describe('Deque', () => {
  it('behaves like an array under random push/shift/unshift/removeAt/clear', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 2, 3, 16), fc.commands(commands, { maxCommands: 80 }), (capacity, cmds) => {
        fc.modelRun(() => ({ model: { items: [] }, real: new Deque<number>(capacity) }), cmds);
      }),
      { numRuns: 400 },
    );
  });

  it('empty: shift and peek return undefined', () => {
    const d = new Deque<string>(2);
    assert.equal(d.shift(), undefined);
    assert.equal(d.peek(), undefined);
    assert.equal(d.length, 0);
    assert.deepEqual([...d], []);
  });

  it('grows from a wrapped-around ring and keeps order', () => {
    const d = new Deque<number>(4);
    d.push(2); d.push(3); d.unshift(1); d.unshift(0); // full, head wrapped
    d.push(4); // grows
    d.unshift(-1);
    assert.deepEqual([...d], [-1, 0, 1, 2, 3, 4]);
    assert.equal(d.removeAt(3), 2);
    assert.deepEqual([...d], [-1, 0, 1, 3, 4]);
  });

  it('shift releases the reference it held', () => {
    const d = new Deque<object>(2);
    d.push({});
    d.shift();
    d.push({ a: 1 });
    d.removeAt(0);
    const slots = (d as unknown as { items: unknown[] }).items;
    assert.ok(slots.every((x) => x === undefined));
  });
});
