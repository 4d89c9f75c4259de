import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  OPTIONS, SCHEMA, defaultConfig, formatHelp, loadConfig, referenceConfig, type BrokerConfig,
} from '../src/config.js';
import { ErrorCodes, StompboxError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'stompbox-config-'));
let fileCount = 0;
function writeConfig(doc: unknown): string {
  const file = join(dir, `config-${fileCount++}.json`);
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
}

/** Asserts loadConfig throws BAD_CONFIG and that the message matches every pattern. */
function rejects(opts: Parameters<typeof loadConfig>[0], ...patterns: RegExp[]): void {
  assert.throws(() => loadConfig({ cwd: dir, ...opts }), (err: unknown) => {
    assert.ok(err instanceof StompboxError, `expected StompboxError, got ${String(err)}`);
    assert.equal(err.code, ErrorCodes.BAD_CONFIG);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

test('defaults match the documented values', () => {
  const c = defaultConfig();
  assert.deepEqual(c, {
    host: '127.0.0.1', stompPort: 61613, httpPort: 15674, stompWsPaths: '/ws,/stomp', dataDir: './data', logLevel: 'info', logPretty: false,
    maxFrameSize: 10485760, maxHeaders: 1000, maxHeaderLength: 65536, heartbeatSendMs: 10000, heartbeatReceiveMs: 10000,
    heartbeatTolerance: 1.5, maxOutputBytes: 8388608, slowConsumerPolicy: 'disconnect', defaultPrefetch: 0,
    maxDeliveries: 10, deadLetterQueue: '/queue/DLQ', destinations: [], maxQueueLength: 0,
    mqttPort: 1883, mqttWsPaths: '/mqtt', mqttMaxPacketSize: 1048576, mqttMaxInflight: 100, mqttMaxOfflineMessages: 1000, mqttMaxRetainedMessages: 100000,
    mqttMaxKeepAlive: 0, mqttMaxSessionExpiry: 604800, mqttMaxTopicAlias: 64, mqttSysIntervalMs: 10000,
    users: [], connectTimeoutMs: 10000, shutdownTimeoutMs: 5000,
  } satisfies BrokerConfig);
  assert.deepEqual(loadConfig({ argv: [], env: {}, cwd: dir }).config, c);
  const mutable: BrokerConfig = defaultConfig();
  mutable.users.push({ login: 'x', passcode: 'y' });
  assert.deepEqual(defaultConfig().users, [], 'defaultConfig returns a fresh copy');
});

test('flags and env vars are derived from the key', () => {
  const o = OPTIONS.find((x) => x.key === 'stompPort')!;
  assert.equal(o.flag, '--stomp-port');
  assert.equal(o.env, 'STOMPBOX_STOMP_PORT');
  assert.equal(OPTIONS.find((x) => x.key === 'heartbeatSendMs')!.env, 'STOMPBOX_HEARTBEAT_SEND_MS');
  assert.equal(OPTIONS.length, Object.keys(SCHEMA).length);
});

test('precedence: defaults < config file < env < flags', () => {
  const file = writeConfig({ stompPort: 1001, httpPort: 2001, host: '0.0.0.0' });
  const env = { STOMPBOX_CONFIG: file, STOMPBOX_STOMP_PORT: '1002', STOMPBOX_HTTP_PORT: '2002' };
  let c = loadConfig({ argv: [], env, cwd: dir }).config;
  assert.equal(c.host, '0.0.0.0', 'file beats default');
  assert.equal(c.stompPort, 1002, 'env beats file');
  c = loadConfig({ argv: ['--stomp-port', '1003'], env, cwd: dir }).config;
  assert.equal(c.stompPort, 1003, 'flag beats env');
  assert.equal(c.httpPort, 2002);
  assert.equal(c.maxHeaders, 1000, 'default kept');
});

test('--config flag beats STOMPBOX_CONFIG and is resolved against cwd', () => {
  const a = writeConfig({ maxHeaders: 5 });
  const b = writeConfig({ maxHeaders: 6 });
  const r = loadConfig({ argv: ['--config', b.slice(dir.length + 1)], env: { STOMPBOX_CONFIG: a }, cwd: dir });
  assert.equal(r.config.maxHeaders, 6);
  assert.equal(r.configFile, b);
  assert.equal(loadConfig({ argv: [`--config=${b}`], cwd: '/' }).config.maxHeaders, 6);
});

test('env parsing of every type', () => {
  const env = {
    STOMPBOX_HOST: '::1', STOMPBOX_STOMP_PORT: '-1', STOMPBOX_HEARTBEAT_TOLERANCE: '2.25', STOMPBOX_LOG_PRETTY: 'yes',
    STOMPBOX_LOG_LEVEL: 'debug', STOMPBOX_SLOW_CONSUMER_POLICY: 'drop', STOMPBOX_USERS: 'guest:guest',
    STOMPBOX_MAX_FRAME_SIZE: ' 2048 ', STOMPBOX_MAX_HEADER_LENGTH: '1024',
  };
  const c = loadConfig({ env, cwd: dir }).config;
  assert.equal(c.host, '::1');
  assert.equal(c.stompPort, -1);
  assert.equal(c.heartbeatTolerance, 2.25);
  assert.equal(c.logPretty, true);
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.slowConsumerPolicy, 'drop');
  assert.deepEqual(c.users, [{ login: 'guest', passcode: 'guest' }]);
  assert.equal(c.maxFrameSize, 2048);
  for (const [text, want] of [['true', true], ['1', true], ['ON', true], ['false', false], ['0', false], ['no', false], ['off', false]] as const) {
    assert.equal(loadConfig({ env: { STOMPBOX_LOG_PRETTY: text } }).config.logPretty, want, text);
  }
  assert.equal(loadConfig({ env: { STOMPBOX_STOMP_PORT: '' } }).config.stompPort, 61613, 'empty env var is unset');
});

test('flag forms: --x v, --x=v, bare boolean, --no-x, negative values', () => {
  const c = loadConfig({ argv: ['--log-pretty', '--host=10.0.0.1', '--http-port', '-5', '--heartbeat-tolerance', '3'] }).config;
  assert.equal(c.logPretty, true);
  assert.equal(c.host, '10.0.0.1');
  assert.equal(c.httpPort, -5);
  assert.equal(c.heartbeatTolerance, 3);
  assert.equal(loadConfig({ argv: ['--log-pretty', 'false'] }).config.logPretty, false);
  assert.equal(loadConfig({ argv: ['--log-pretty=0'] }).config.logPretty, false);
  assert.equal(loadConfig({ argv: ['--no-log-pretty'], env: { STOMPBOX_LOG_PRETTY: 'true' } }).config.logPretty, false);
});

test('users parsing from env, flag and config file', () => {
  const parse = (s: string) => loadConfig({ argv: ['--users', s] }).config.users;
  assert.deepEqual(parse('a:1, b:p:w'), [{ login: 'a', passcode: '1' }, { login: 'b', passcode: 'p:w' }]);
  assert.deepEqual(parse('a:'), [{ login: 'a', passcode: '' }]);
  assert.deepEqual(parse(''), []);
  assert.deepEqual(loadConfig({ env: { STOMPBOX_USERS: 'x:y' } }).config.users, [{ login: 'x', passcode: 'y' }]);
  const file = writeConfig({ users: [{ login: 'f', passcode: 'g' }] });
  assert.deepEqual(loadConfig({ argv: ['--config', file] }).config.users, [{ login: 'f', passcode: 'g' }]);
  rejects({ argv: ['--users', 'nocolon'] }, /users/, /--users/, /login:passcode/);
  rejects({ argv: ['--users', ':pw'] }, /users/, /login/);
  rejects({ env: { STOMPBOX_USERS: 'a:1,a:2' } }, /STOMPBOX_USERS/, /twice/);
  rejects({ argv: ['--config', writeConfig({ users: 'a:b' })] }, /users/, /config file/);
  rejects({ argv: ['--config', writeConfig({ users: [{ login: 'a' }] })] }, /passcode/);
  rejects({ argv: ['--config', writeConfig({ users: [{ login: 'a', passcode: 'b', role: 'x' }] })] }, /role/);
});

test('bad values name the option and the source', () => {
  rejects({ env: { STOMPBOX_STOMP_PORT: 'abc' } }, /stompPort/, /STOMPBOX_STOMP_PORT/, /integer/);
  rejects({ argv: ['--stomp-port', '70000'] }, /stompPort/, /--stomp-port/, /at most 65535/);
  rejects({ argv: ['--max-headers', '1.5'] }, /maxHeaders/, /integer/);
  rejects({ argv: ['--max-headers', '0'] }, /maxHeaders/, /at least 1/);
  rejects({ argv: ['--heartbeat-tolerance', 'fast'] }, /heartbeatTolerance/, /number/);
  rejects({ argv: ['--heartbeat-tolerance', '0.5'] }, /heartbeatTolerance/, /at least 1/);
  rejects({ env: { STOMPBOX_LOG_PRETTY: 'maybe' } }, /logPretty/, /true or false/);
  rejects({ argv: ['--log-level', 'loud'] }, /logLevel/, /--log-level/, /info/);
  rejects({ argv: ['--slow-consumer-policy', 'block'] }, /slowConsumerPolicy/, /disconnect, drop/);
  rejects({ argv: ['--dead-letter-queue', '/topic/x'] }, /deadLetterQueue/, /queue/);
  rejects({ argv: ['--host', ''] }, /host/, /empty/);
  rejects({ argv: ['--max-queue-length', '-1'] }, /maxQueueLength/, /at least 0/);
  const file = writeConfig({ maxFrameSize: '1024' });
  rejects({ argv: ['--config', file] }, /maxFrameSize/, new RegExp(file.replace(/[.\\/]/g, '\\$&')), /integer/);
  rejects({ argv: ['--config', writeConfig({ logPretty: 'true' })] }, /logPretty/, /config file/);
  rejects({ argv: ['--max-frame-size', '2048', '--max-header-length', '4096'] }, /maxHeaderLength/, /maxFrameSize/);
  rejects({ argv: ['--stomp-port', '8000', '--http-port', '8000'] }, /stompPort and httpPort/);
});

test('bad command lines and config files are rejected', () => {
  rejects({ argv: ['--config', writeConfig({ stompPort: 1, bogusKey: 1 })] }, /unknown option "bogusKey"/, /config file/);
  rejects({ argv: ['--config', writeConfig('{ not json')] }, /not valid JSON/);
  rejects({ argv: ['--config', writeConfig([1])] }, /JSON object/);
  rejects({ argv: ['--config', join(dir, 'missing.json')] }, /cannot read config file/);
  rejects({ argv: ['--bogus'] }, /unknown option --bogus/);
  rejects({ argv: ['serve'] }, /unexpected argument "serve"/);
  rejects({ argv: ['--stomp-port'] }, /--stomp-port needs a value/);
});

test('--help, --version, --print-config and warnings', () => {
  assert.equal(loadConfig({ argv: ['--stomp-port', 'x', '--help'] }).help, formatHelp());
  assert.equal(loadConfig({ argv: ['-h'] }).help, formatHelp());
  assert.equal(loadConfig({ argv: ['--version'] }).version, true);
  assert.equal(loadConfig({ argv: ['--print-config'] }).printConfig, true);
  assert.deepEqual(loadConfig({ env: { STOMPBOX_NOPE: '1', STOMPBOX_HOST: 'h' } }).warnings, ['ignoring unknown environment variable STOMPBOX_NOPE']);
});

test('formatHelp mentions every flag, env var and default', () => {
  const help = formatHelp();
  for (const o of OPTIONS) {
    assert.ok(help.includes(o.flag + ' '), `help lacks ${o.flag}`);
    assert.ok(help.includes(o.env), `help lacks ${o.env}`);
    const def = Array.isArray(o.default) ? 'none' : String(o.default);
    assert.ok(help.includes(`${o.env}, default ${def}`), `help lacks default of ${o.key}`);
    assert.ok(help.includes(o.doc), `help lacks doc of ${o.key}`);
  }
  assert.match(help, /--config/);
  assert.match(help, /STOMPBOX_CONFIG/);
});

test('referenceConfig round-trips through loadConfig unchanged', () => {
  const text = referenceConfig();
  const doc = JSON.parse(text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(doc), OPTIONS.map((o) => o.key));
  assert.deepEqual(doc, defaultConfig());
  const loaded = loadConfig({ argv: ['--config', writeConfig(text)], cwd: dir }).config;
  assert.deepEqual(loaded, defaultConfig());
  const custom = loadConfig({ argv: ['--users', 'a:b', '--stomp-port', '0', '--log-level', 'warn'] }).config;
  const again = loadConfig({ argv: ['--config', writeConfig(referenceConfig(custom))] }).config;
  assert.deepEqual(again, custom);
});
