/**
 * Named wire fixtures (mqtt-packet style). Each names the STOMP spec rule it pins down.
 * In the strings below `\n` is an LF on the wire and `\\n` is the two octets `\` `n`.
 */
import type { CodecErrorCode, StompVersion } from '../src/index.js';
import { bytes, frame, type DecodedFrame } from './helpers.js';

export interface Fixture {
  name: string;
  /** Decoder (and encoder) version; undefined = before negotiation. */
  version?: StompVersion;
  wire: Uint8Array;
  frames: DecodedFrame[];
  /** EOLs seen between frames (onHeartbeat calls). */
  heartbeats?: number;
  /** Encoding `frames` (content-length written iff the frame has one) gives `wire` byte for byte. */
  canonical?: boolean;
  /** getHeader results to check on the first frame. */
  first?: Record<string, string | undefined>;
}

export interface ErrorFixture {
  name: string;
  version?: StompVersion;
  wire: Uint8Array;
  code: CodecErrorCode;
  /** Frames emitted before the error. */
  framesBefore?: number;
}

const NUL = [0];
const utf8Body = '消息体：你好 😀🎉';
const utf8Len = String(Buffer.byteLength(utf8Body));

export const fixtures: Fixture[] = [
  {
    name: 'STOMP 1.2 connecting: CONNECT headers are never escaped, backslashes stay literal',
    version: '1.2',
    wire: bytes('CONNECT\naccept-version:1.0,1.1,1.2\nhost:stomp.example.com\nlogin:dom\\ain\\user\npasscode:p\\cw:rd\nheart-beat:10000,10000\n\n', NUL),
    frames: [frame('CONNECT', ['accept-version', '1.0,1.1,1.2', 'host', 'stomp.example.com', 'login', 'dom\\ain\\user', 'passcode', 'p\\cw:rd', 'heart-beat', '10000,10000'])],
    canonical: true,
    first: { login: 'dom\\ain\\user', passcode: 'p\\cw:rd' },
  },
  {
    name: 'STOMP 1.2 connecting: the STOMP frame, like CONNECT, is never escaped',
    version: '1.2',
    wire: bytes('STOMP\naccept-version:1.2\nhost:h\nlogin:a\\nb\n\n', NUL),
    frames: [frame('STOMP', ['accept-version', '1.2', 'host', 'h', 'login', 'a\\nb'])],
    canonical: true,
  },
  {
    name: 'STOMP 1.2 connected: CONNECTED headers are never escaped',
    version: '1.2',
    wire: bytes('CONNECTED\nversion:1.2\nserver:stompbox/0.1 (a\\b)\nheart-beat:0,0\n\n', NUL),
    frames: [frame('CONNECTED', ['version', '1.2', 'server', 'stompbox/0.1 (a\\b)', 'heart-beat', '0,0'])],
    canonical: true,
  },
  {
    name: 'STOMP 1.2 body: content-length gives the body size in octets',
    version: '1.2',
    wire: bytes('SEND\ndestination:/queue/a\ncontent-type:text/plain\ncontent-length:5\n\nhello', NUL),
    frames: [frame('SEND', ['destination', '/queue/a', 'content-type', 'text/plain', 'content-length', '5'], 'hello')],
    canonical: true,
    first: { 'content-length': '5', destination: '/queue/a', missing: undefined },
  },
  {
    name: 'STOMP 1.2 body: without content-length the body ends at the first NUL',
    version: '1.2',
    wire: bytes('SEND\ndestination:/queue/a\n\nhello world', NUL),
    frames: [frame('SEND', ['destination', '/queue/a'], 'hello world')],
    canonical: true, // encoded with contentLength: false
  },
  {
    name: 'STOMP 1.2 body: with content-length the body may contain NUL octets',
    version: '1.2',
    wire: bytes('SEND\ndestination:/queue/bin\ncontent-type:application/octet-stream\ncontent-length:7\n\n', [0, 1, 0, 255, 0, 0, 10], NUL),
    frames: [frame('SEND', ['destination', '/queue/bin', 'content-type', 'application/octet-stream', 'content-length', '7'], [0, 1, 0, 255, 0, 0, 10])],
    canonical: true,
  },
  {
    name: 'STOMP 1.2 body: content-length:0 gives an empty body',
    version: '1.2',
    wire: bytes('SEND\ndestination:/q\ncontent-length:0\n\n', NUL),
    frames: [frame('SEND', ['destination', '/q', 'content-length', '0'])],
    canonical: true,
  },
  {
    name: 'STOMP 1.2 body: a frame may have an empty body and no content-length',
    version: '1.2',
    wire: bytes('SEND\ndestination:/q\n\n', NUL),
    frames: [frame('SEND', ['destination', '/q'])],
    canonical: true,
  },
  {
    name: 'STOMP 1.2 frames: a frame may have no headers at all',
    version: '1.2',
    wire: bytes('DISCONNECT\n\n', NUL),
    frames: [frame('DISCONNECT', [])],
    canonical: true,
  },
  {
    name: 'STOMP 1.2 EOL: CR-LF line endings are accepted (command, headers, blank line)',
    version: '1.2',
    wire: bytes('SEND\r\ndestination:/queue/a\r\nreceipt:r-1\r\n\r\nhi', NUL),
    frames: [frame('SEND', ['destination', '/queue/a', 'receipt', 'r-1'], 'hi')],
  },
  {
    name: 'STOMP 1.1 EOL: CR-LF line endings are accepted, mixed with LF',
    version: '1.1',
    wire: bytes('MESSAGE\r\nsubscription:0\nmessage-id:1\r\ndestination:/q\n\r\nx', NUL),
    frames: [frame('MESSAGE', ['subscription', '0', 'message-id', '1', 'destination', '/q'], 'x')],
  },
  {
    name: 'STOMP 1.2 heart-beating: EOLs before, between and after frames are heart-beats',
    version: '1.2',
    wire: bytes('\n\r\n', 'SEND\ndestination:/q\n\na', NUL, '\n\r\n\n', 'SEND\ndestination:/q\n\nb', NUL, '\r\n'),
    frames: [frame('SEND', ['destination', '/q'], 'a'), frame('SEND', ['destination', '/q'], 'b')],
    heartbeats: 6,
  },
  {
    name: 'STOMP 1.2 value encoding: \\r \\n \\c \\\\ are decoded in header names and values',
    version: '1.2',
    wire: bytes('MESSAGE\nsubscription:0\nmessage-id:007\ndestination:/queue/a\\cb\nx\\cy:l1\\nl2\\r\\\\end\n\n', NUL),
    frames: [frame('MESSAGE', ['subscription', '0', 'message-id', '007', 'destination', '/queue/a:b', 'x:y', 'l1\nl2\r\\end'])],
    canonical: true,
    first: { 'x:y': 'l1\nl2\r\\end' },
  },
  {
    name: 'STOMP 1.1 value encoding: \\n \\c \\\\ are decoded in header names and values',
    version: '1.1',
    wire: bytes('MESSAGE\nsubscription:0\nmessage-id:1\ndestination:/queue/a\\cb\nk\\\\:v\\nw\\\\\n\n', NUL),
    frames: [frame('MESSAGE', ['subscription', '0', 'message-id', '1', 'destination', '/queue/a:b', 'k\\', 'v\nw\\'])],
    canonical: true,
  },
  {
    name: 'STOMP 1.1 value encoding: \\r is not a 1.1 escape but is accepted (as RabbitMQ does)',
    version: '1.1',
    wire: bytes('SEND\ndestination:/q\nx:a\\rb\n\n', NUL),
    frames: [frame('SEND', ['destination', '/q', 'x', 'a\rb'])],
    canonical: false, // the 1.1 encoder writes the CR raw
  },
  {
    name: 'STOMP 1.0 headers: no escaping, backslash sequences stay literal',
    version: '1.0',
    wire: bytes('SEND\ndestination:/queue/a\\nb\nx:c\\cd\\\\\ny:\\t\n\n', NUL),
    frames: [frame('SEND', ['destination', '/queue/a\\nb', 'x', 'c\\cd\\\\', 'y', '\\t'])],
    canonical: true,
  },
  {
    name: 'STOMP 1.2 connecting: before negotiation (no version) nothing is unescaped',
    wire: bytes('SEND\nx:a\\cb\\t\n\n', NUL),
    frames: [frame('SEND', ['x', 'a\\cb\\t'])],
    canonical: true,
  },
  {
    name: 'STOMP 1.2 headers: values are not trimmed (a: b  keeps its spaces)',
    version: '1.2',
    wire: bytes('SEND\na: b \n c :\t\n\n', NUL),
    frames: [frame('SEND', ['a', ' b ', ' c ', '\t'])],
    canonical: true,
    first: { a: ' b ', c: undefined },
  },
  {
    name: 'STOMP 1.1 headers: values are not trimmed (a: b  keeps its spaces)',
    version: '1.1',
    wire: bytes('SEND\na: b \n\n', NUL),
    frames: [frame('SEND', ['a', ' b '])],
    canonical: true,
  },
  {
    name: 'STOMP 1.0 headers: values are trimmed (a: b  becomes b)',
    version: '1.0',
    wire: bytes('SEND\ndestination: /queue/a \na: b \nreceipt:\t r1\n\n', NUL),
    frames: [frame('SEND', ['destination', '/queue/a', 'a', 'b', 'receipt', 'r1'])],
  },
  {
    name: 'STOMP 1.0 headers: only the first colon separates name and value',
    version: '1.0',
    wire: bytes('SEND\ndestination:/queue/a\nurl:http://h:8080/p?q=a:b\n\n', NUL),
    frames: [frame('SEND', ['destination', '/queue/a', 'url', 'http://h:8080/p?q=a:b'])],
    canonical: true,
  },
  {
    name: 'STOMP 1.2 headers: an unescaped colon in a value is kept (only the first colon splits)',
    version: '1.2',
    wire: bytes('SEND\ntime:12:30:00\n\n', NUL),
    frames: [frame('SEND', ['time', '12:30:00'])],
    canonical: false, // the 1.2 encoder writes 12\c30\c00
  },
  {
    name: 'STOMP 1.2 headers: an empty header value is allowed',
    version: '1.2',
    wire: bytes('SEND\ndestination:/q\nx-empty:\n\n', NUL),
    frames: [frame('SEND', ['destination', '/q', 'x-empty', ''])],
    canonical: true,
    first: { 'x-empty': '' },
  },
  {
    name: 'STOMP 1.2 repeated headers: first wins, all are kept in order',
    version: '1.2',
    wire: bytes('MESSAGE\nsubscription:s\nmessage-id:1\ndestination:/q\nfoo:World\nfoo:Hello\nfoo:\n\n', NUL),
    frames: [frame('MESSAGE', ['subscription', 's', 'message-id', '1', 'destination', '/q', 'foo', 'World', 'foo', 'Hello', 'foo', ''])],
    canonical: true,
    first: { foo: 'World' },
  },
  {
    name: 'STOMP 1.2 repeated headers: the first content-length decides the body size',
    version: '1.2',
    wire: bytes('SEND\ndestination:/q\ncontent-length:3\ncontent-length:5\ncontent-length:x\n\nabc', NUL),
    frames: [frame('SEND', ['destination', '/q', 'content-length', '3', 'content-length', '5', 'content-length', 'x'], 'abc')],
    first: { 'content-length': '3' },
  },
  {
    name: 'STOMP 1.2 value encoding: UTF-8 in commands, header names, values and bodies (Chinese, emoji)',
    version: '1.2',
    wire: bytes(`SEND\ndestination:/queue/订单\n主题:你好，世界 🌍\nx-emoji:👍🏽🧑‍💻\ncontent-type:text/plain;charset=utf-8\ncontent-length:${utf8Len}\n\n${utf8Body}`, NUL),
    frames: [frame('SEND', ['destination', '/queue/订单', '主题', '你好，世界 🌍', 'x-emoji', '👍🏽🧑‍💻', 'content-type', 'text/plain;charset=utf-8', 'content-length', utf8Len], utf8Body)],
    canonical: true,
    first: { 主题: '你好，世界 🌍' },
  },
  {
    name: 'STOMP 1.2 value encoding: UTF-8 header value longer than 64 bytes',
    version: '1.2',
    wire: bytes(`SEND\nx:${'汉字'.repeat(20)}\n\n`, NUL),
    frames: [frame('SEND', ['x', '汉字'.repeat(20)])],
    canonical: true,
  },
  {
    name: 'STOMP 1.2 frames: several frames in one chunk',
    version: '1.2',
    wire: bytes(
      'SUBSCRIBE\nid:0\ndestination:/queue/a\nack:client\n\n', NUL,
      'SEND\ndestination:/queue/a\ncontent-length:3\n\n', [1, 0, 2], NUL,
      'ACK\nid:m-1\n\n', NUL,
    ),
    frames: [
      frame('SUBSCRIBE', ['id', '0', 'destination', '/queue/a', 'ack', 'client']),
      frame('SEND', ['destination', '/queue/a', 'content-length', '3'], [1, 0, 2]),
      frame('ACK', ['id', 'm-1']),
    ],
    canonical: true,
  },
  {
    name: 'STOMP 1.2 ERROR frame: server error with content-type and body',
    version: '1.2',
    wire: bytes('ERROR\nmessage:malformed frame received\ncontent-type:text/plain\ncontent-length:11\n\nbad frame\n.', NUL),
    frames: [frame('ERROR', ['message', 'malformed frame received', 'content-type', 'text/plain', 'content-length', '11'], 'bad frame\n.')],
    canonical: true,
  },
];

export const errorFixtures: ErrorFixture[] = [
  { name: 'STOMP 1.2 value encoding: undefined escape \\t is a fatal protocol error', version: '1.2', wire: bytes('SEND\ndestination:/q\nx:a\\tb\n\n', NUL), code: 'STOMPBOX_ERR_BAD_ESCAPE' },
  { name: 'STOMP 1.2 value encoding: undefined escape in a header name is fatal', version: '1.2', wire: bytes('SEND\nx\\t:a\n\n', NUL), code: 'STOMPBOX_ERR_BAD_ESCAPE' },
  { name: 'STOMP 1.2 value encoding: a trailing lone backslash is fatal', version: '1.2', wire: bytes('SEND\nx:ab\\\n\n', NUL), code: 'STOMPBOX_ERR_BAD_ESCAPE' },
  { name: 'STOMP 1.1 value encoding: undefined escape \\t is fatal', version: '1.1', wire: bytes('SEND\nx:\\t\n\n', NUL), code: 'STOMPBOX_ERR_BAD_ESCAPE' },
  { name: 'STOMP 1.2 content-length: letters are malformed', version: '1.2', wire: bytes('SEND\ncontent-length:abc\n\n', NUL), code: 'STOMPBOX_ERR_MALFORMED_FRAME' },
  { name: 'STOMP 1.2 content-length: a negative value is malformed', version: '1.2', wire: bytes('SEND\ncontent-length:-1\n\n', NUL), code: 'STOMPBOX_ERR_MALFORMED_FRAME' },
  { name: 'STOMP 1.2 content-length: a fraction is malformed', version: '1.2', wire: bytes('SEND\ncontent-length:1.5\n\nab', NUL), code: 'STOMPBOX_ERR_MALFORMED_FRAME' },
  { name: 'STOMP 1.2 content-length: an empty value is malformed', version: '1.2', wire: bytes('SEND\ncontent-length:\n\n', NUL), code: 'STOMPBOX_ERR_MALFORMED_FRAME' },
  { name: 'STOMP 1.2 content-length: values are not trimmed, so " 5" is malformed', version: '1.2', wire: bytes('SEND\ncontent-length: 5\n\nhello', NUL), code: 'STOMPBOX_ERR_MALFORMED_FRAME' },
  { name: 'STOMP 1.2 content-length: hex is malformed', version: '1.2', wire: bytes('SEND\ncontent-length:0x10\n\n', NUL), code: 'STOMPBOX_ERR_MALFORMED_FRAME' },
  { name: 'STOMP 1.2 content-length: more than 10 digits is malformed', version: '1.2', wire: bytes('SEND\ncontent-length:00000000001\n\na', NUL), code: 'STOMPBOX_ERR_MALFORMED_FRAME' },
  { name: 'STOMP 1.2 content-length: the octet after the body must be NUL (body longer)', version: '1.2', wire: bytes('SEND\ncontent-length:2\n\nabc', NUL), code: 'STOMPBOX_ERR_MALFORMED_FRAME' },
  { name: 'STOMP 1.2 content-length: the octet after the body must be NUL (body shorter)', version: '1.2', wire: bytes('SEND\ncontent-length:5\n\nab', NUL, 'SEND\n\n', NUL), code: 'STOMPBOX_ERR_MALFORMED_FRAME' },
  { name: 'STOMP 1.2 headers: a header line without a colon is malformed', version: '1.2', wire: bytes('SEND\ndestination\n\n', NUL), code: 'STOMPBOX_ERR_MALFORMED_FRAME' },
  { name: 'STOMP 1.2 headers: an empty header name is malformed', version: '1.2', wire: bytes('SEND\n:value\n\n', NUL), code: 'STOMPBOX_ERR_MALFORMED_FRAME' },
  { name: 'STOMP 1.0 headers: a header line without a colon is malformed', version: '1.0', wire: bytes('SEND\nfoo bar\n\n', NUL), code: 'STOMPBOX_ERR_MALFORMED_FRAME' },
  {
    name: 'STOMP 1.2 frames: frames before a malformed one are still delivered',
    version: '1.2',
    wire: bytes('SEND\n\nok', NUL, '\n', 'SEND\nbad\n\n', NUL, 'SEND\n\nnever', NUL),
    code: 'STOMPBOX_ERR_MALFORMED_FRAME',
    framesBefore: 1,
  },
];
