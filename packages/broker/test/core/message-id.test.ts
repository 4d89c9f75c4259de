/** Message ids: unique per run by the start time, and per node of a cluster by the node tag (core/message.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isIssuedMessageId, newMessage, setNodeTag } from '../../src/core/message.js';

const make = () => newMessage('/topic/t', [], new Uint8Array(0), false, 0);

describe('message ids', () => {
  it('without a node tag: <start time>-<seq>, and issued ones are recognised', () => {
    const m = make();
    assert.match(m.id, /^[0-9a-z]+-\d+$/);
    assert.equal(isIssuedMessageId(m.id), true);
    assert.equal(isIssuedMessageId(m.id.replace(/-\d+$/, '-999999999')), false);
  });

  it('two nodes started in the same millisecond issue different ids once tagged', () => {
    setNodeTag('n1');
    const a = make();
    setNodeTag('n2');
    const b = make();
    assert.match(a.id, /^n1\.[0-9a-z]+-\d+$/);
    assert.match(b.id, /^n2\.[0-9a-z]+-\d+$/);
    assert.notEqual(a.id.split('-')[0], b.id.split('-')[0]);
    assert.equal(isIssuedMessageId(b.id), true);
    setNodeTag('');
  });

  it('a tag that would make ids ambiguous is refused', () => {
    for (const bad of ['a-b', 'UPPER', 'x'.repeat(17), 'a.b']) assert.throws(() => setNodeTag(bad), /node tag/);
  });
});
