import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  StompCodecError, StompDecoder, encodeFrame, escapeHeaderValue, escapes, getHeader, headersFromRecord, headersToRecord, unescape,
  type StompVersion,
} from '../src/index.js';
import { errorFixtures, fixtures } from './fixtures.js';
import { bytes, concat, copyFrame, decode, frame, show, type DecodedFrame } from './helpers.js';

/** Encodes frames the way a canonical fixture was written: content-length iff the frame has one. */
function encodeAll(frames: readonly DecodedFrame[], version: StompVersion | undefined): Uint8Array {
  return concat(...frames.map((f) =>
    encodeFrame(f.command, f.headers, f.body, { version, contentLength: getHeader(f.headers, 'content-length') !== undefined })));
}

function withoutContentLength(f: DecodedFrame): DecodedFrame {
  const headers: string[] = [];
  for (let i = 0; i < f.headers.length; i += 2) if (f.headers[i] !== 'content-length') headers.push(f.headers[i], f.headers[i + 1]);
  return { ...f, headers };
}

describe('fixtures', () => {
  for (const fx of fixtures) {
    describe(fx.name, () => {
      for (const buffers of [false, true]) {
        test(`decodes (${buffers ? 'Buffer' : 'Uint8Array'} input)`, () => {
          const r = decode(fx.wire, { version: fx.version, buffers });
          assert.equal(r.code, undefined, `unexpected error for ${show(fx.wire)}`);
          assert.deepEqual(r.frames, fx.frames);
          assert.equal(r.heartbeats, fx.heartbeats ?? 0);
          for (const [name, value] of Object.entries(fx.first ?? {})) {
            assert.equal(getHeader(r.frames[0].headers, name), value, `getHeader(${name})`);
          }
        });
      }
      if (fx.canonical === true) {
        test('encodes back to the exact bytes', () => {
          assert.equal(show(encodeAll(fx.frames, fx.version)), show(fx.wire));
          assert.deepEqual(encodeAll(fx.frames, fx.version), fx.wire);
        });
      }
      test('round trips: decode(encode(frame)) = frame (content-length aside)', () => {
        const wire = concat(...fx.frames.map((f) => encodeFrame(f.command, f.headers, f.body, { version: fx.version })));
        const r = decode(wire, { version: fx.version });
        assert.equal(r.code, undefined);
        assert.deepEqual(r.frames.map(withoutContentLength), fx.frames.map(withoutContentLength));
      });
    });
  }
});

describe('error fixtures', () => {
  for (const fx of errorFixtures) {
    test(fx.name, () => {
      for (const buffers of [false, true]) {
        const r = decode(fx.wire, { version: fx.version, buffers });
        assert.equal(r.code, fx.code, show(fx.wire));
        assert.equal(r.frames.length, fx.framesBefore ?? 0);
      }
    });
  }

  test('STOMP 1.2 errors: the decoder throws a StompCodecError with a stable code and a message', () => {
    const d = new StompDecoder({ version: '1.2', onFrame: () => assert.fail('no frame expected') });
    assert.throws(() => d.push(bytes('SEND\nx:\\t\n\n\0')), (err: unknown) => {
      assert.ok(err instanceof StompCodecError);
      assert.equal(err.name, 'StompCodecError');
      assert.equal(err.code, 'STOMPBOX_ERR_BAD_ESCAPE');
      assert.match(err.message, /\\t/);
      return true;
    });
  });
});

describe('encoder', () => {
  test('STOMP 1.2 value encoding: the encoder escapes \\r \\n : and \\ in names and values', () => {
    const wire = encodeFrame('SEND', ['a:b\\', 'x\r\ny:z'], undefined, { version: '1.2' });
    assert.equal(show(wire), show(bytes('SEND\na\\cb\\\\:x\\r\\ny\\cz\n\n\0')));
  });

  test('STOMP 1.1 value encoding: the encoder writes no \\r escape (CR goes out raw)', () => {
    const wire = encodeFrame('SEND', ['k', 'a\rb:c\n\\'], undefined, { version: '1.1' });
    assert.equal(show(wire), show(bytes('SEND\nk:a\rb\\cc\\n\\\\\n\n\0')));
    assert.equal(escapeHeaderValue('\r', '1.1'), '\r');
    assert.equal(escapeHeaderValue('\r', '1.2'), '\\r');
  });

  test('STOMP 1.1 EOL: a value ending in CR cannot survive 1.1 (EOL = [CR] LF; hence the 1.2 \\r escape)', () => {
    const v11 = decode(encodeFrame('SEND', ['k', 'v\r'], undefined, { version: '1.1' }), { version: '1.1' });
    assert.equal(getHeader(v11.frames[0].headers, 'k'), 'v');
    const v12 = decode(encodeFrame('SEND', ['k', 'v\r'], undefined, { version: '1.2' }), { version: '1.2' });
    assert.equal(getHeader(v12.frames[0].headers, 'k'), 'v\r');
  });

  test('STOMP 1.0: the encoder escapes nothing', () => {
    const wire = encodeFrame('SEND', ['k', 'a:b\\c'], undefined, { version: '1.0' });
    assert.equal(show(wire), show(bytes('SEND\nk:a:b\\c\n\n\0')));
    assert.equal(escapeHeaderValue('a:b\n\\', '1.0'), 'a:b\n\\');
  });

  test('STOMP 1.2 connecting: the encoder does not escape CONNECT, CONNECTED or STOMP', () => {
    for (const command of ['CONNECT', 'CONNECTED', 'STOMP']) {
      const wire = encodeFrame(command, ['passcode', 'a:b\\c'], undefined, { version: '1.2' });
      assert.equal(show(wire), show(bytes(`${command}\npasscode:a:b\\c\n\n\0`)));
    }
    assert.equal(escapes('1.2', 'CONNECT'), false);
    assert.equal(escapes('1.2', 'SEND'), true);
    assert.equal(escapes('1.1', 'MESSAGE'), true);
    assert.equal(escapes('1.0', 'SEND'), false);
    assert.equal(escapes(undefined, 'SEND'), false);
  });

  test('STOMP 1.2 body: the encoder writes the real content-length, replacing any given', () => {
    const wire = encodeFrame('SEND', ['content-length', '99', 'a', 'b', 'content-length', '1'], 'xyz', { version: '1.2' });
    assert.equal(show(wire), show(bytes('SEND\na:b\ncontent-length:3\n\nxyz\0')));
  });

  test('STOMP 1.2 body: content-length is omitted for an empty body, or when told; forced with contentLength: true', () => {
    assert.equal(show(encodeFrame('SEND', [], undefined)), show(bytes('SEND\n\n\0')));
    assert.equal(show(encodeFrame('SEND', [], new Uint8Array(0))), show(bytes('SEND\n\n\0')));
    assert.equal(show(encodeFrame('SEND', [], 'ab', { contentLength: false })), show(bytes('SEND\n\nab\0')));
    assert.equal(show(encodeFrame('SEND', [], '', { contentLength: true })), show(bytes('SEND\ncontent-length:0\n\n\0')));
  });

  test('STOMP 1.2 value encoding: string bodies are written as UTF-8, content-length in octets', () => {
    const wire = encodeFrame('SEND', ['destination', '/q'], 'é😀', { version: '1.2' });
    assert.deepEqual(wire, bytes('SEND\ndestination:/q\ncontent-length:6\n\né😀\0'));
  });

  test('STOMP 1.2 headers: record headers encode like the flat array', () => {
    const rec = encodeFrame('SEND', { destination: '/q', 'x:y': 'a\nb' }, 'hi', { version: '1.2' });
    const flat = encodeFrame('SEND', ['destination', '/q', 'x:y', 'a\nb'], 'hi', { version: '1.2' });
    assert.deepEqual(rec, flat);
  });

  test('STOMP 1.2 value encoding: escapeHeaderValue leaves plain values alone and unescape inverts it', () => {
    assert.equal(escapeHeaderValue('plain value', '1.2'), 'plain value');
    for (const v of ['', 'a:b', '\\n', '\n\r:\\', 'x\\cy', '😀:\n']) {
      assert.equal(unescape(escapeHeaderValue(v, '1.2')), v);
    }
    assert.throws(() => unescape('a\\'), { code: 'STOMPBOX_ERR_BAD_ESCAPE' });
    assert.throws(() => unescape('\\x'), { code: 'STOMPBOX_ERR_BAD_ESCAPE' });
  });
});

describe('headers helpers', () => {
  test('STOMP 1.2 repeated headers: getHeader and headersToRecord keep the first', () => {
    const h = ['a', '1', 'b', '2', 'a', '3'];
    assert.equal(getHeader(h, 'a'), '1');
    assert.equal(getHeader(h, 'c'), undefined);
    assert.deepEqual(headersToRecord(h), { a: '1', b: '2' });
    // A header named __proto__ cannot pollute the record's prototype (values are strings).
    const rec = headersToRecord(['__proto__', 'x', 'constructor', 'y']);
    assert.equal(Object.getPrototypeOf(rec), Object.prototype);
    assert.equal(rec.constructor, 'y');
  });

  test('headersFromRecord skips null/undefined and stringifies numbers and booleans', () => {
    assert.deepEqual(headersFromRecord({ a: 1, b: undefined, c: null, d: true, e: 'x' }), ['a', '1', 'd', 'true', 'e', 'x']);
  });
});

describe('decoder', () => {
  test('STOMP 1.2 connected: the version set in onFrame applies to the next frame of the same chunk', () => {
    const frames: DecodedFrame[] = [];
    const d = new StompDecoder({
      onFrame: (f) => {
        frames.push(copyFrame(f));
        if (f.command === 'CONNECTED') d.version = getHeader(f.headers, 'version') as StompVersion;
      },
    });
    d.push(bytes('CONNECTED\nversion:1.2\n\n\0MESSAGE\ndestination:/a\\cb\n\n\0'));
    assert.deepEqual(frames, [frame('CONNECTED', ['version', '1.2']), frame('MESSAGE', ['destination', '/a:b'])]);
  });

  test('idle is true only between frames', () => {
    const d = new StompDecoder({ onFrame: () => {} });
    assert.equal(d.idle, true);
    d.push(bytes('SEN'));
    assert.equal(d.idle, false);
    d.push(bytes('D\nx:y\n\nbody'));
    assert.equal(d.idle, false);
    d.push(bytes('\0'));
    assert.equal(d.idle, true);
    d.push(bytes('\n'));
    assert.equal(d.idle, true);
  });

  test('limits default to DEFAULT_LIMITS and can be overridden one by one', () => {
    const d = new StompDecoder({ onFrame: () => {}, maxHeaders: 7 });
    assert.deepEqual(d.limits, { maxFrameSize: 10 * 1024 * 1024, maxHeaders: 7, maxHeaderLength: 64 * 1024 });
  });
});
