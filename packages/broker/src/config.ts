/**
 * The broker's configuration: ONE schema (`SCHEMA`) is the single source of
 * defaults, validation, environment variables, CLI flags, `--help` text and
 * the reference config. Precedence: defaults < config file < env < flags.
 * Each option's flag and env var are derived from its camelCase key:
 * `stompPort` -> `--stomp-port` / `STOMPBOX_STOMP_PORT`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ErrorCodes, StompboxError } from './errors.js';
import { policyListProblem, type DestinationPolicy } from './core/policies.js';

export interface UserCredential { login: string; passcode: string }

type OptionDef =
  | { type: 'string'; default: string; doc: string; check?: (v: string) => string | undefined }
  | { type: 'integer' | 'number'; default: number; doc: string; min?: number; max?: number }
  | { type: 'boolean'; default: boolean; doc: string }
  | { type: 'enum'; values: readonly string[]; default: string; doc: string }
  | { type: 'users'; default: readonly UserCredential[]; doc: string }
  | { type: 'policies'; default: readonly DestinationPolicy[]; doc: string };

const PORT_MAX = 65535;
const nonEmpty = (v: string) => (v.trim() === '' ? 'must not be empty' : undefined);

export const SCHEMA = {
  host: { type: 'string', default: '127.0.0.1', doc: 'Interface the STOMP, MQTT and HTTP listeners bind to', check: nonEmpty },
  stompPort: { type: 'integer', default: 61613, max: PORT_MAX, doc: 'STOMP TCP port (0 = any free port, negative = no STOMP listener)' },
  httpPort: { type: 'integer', default: 15674, max: PORT_MAX, doc: 'HTTP port serving STOMP over WebSocket at /ws and /stomp and MQTT at /mqtt (0 = any free port, negative = none)' },
  stompWsPaths: {
    type: 'string', default: '/ws,/stomp', doc: 'Comma-separated HTTP paths that accept STOMP over WebSocket (e.g. add /chat for an existing page)',
    check: (v: string) => (v.split(',').every((p) => /^\/[^\s,?#]*$/.test(p.trim())) ? undefined : 'must be paths starting with /, separated by commas'),
  },
  dataDir: { type: 'string', default: './data', doc: 'Directory for persistent data (relative to the working directory)', check: nonEmpty },
  logLevel: { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', doc: 'Log level (logs are JSON lines on stderr)' },
  logPretty: { type: 'boolean', default: false, doc: 'Human-readable logs (needs pino-pretty installed, else JSON)' },
  maxFrameSize: { type: 'integer', default: 10485760, min: 1024, max: 1073741824, doc: 'Largest accepted frame in bytes, headers and body included' },
  maxHeaders: { type: 'integer', default: 1000, min: 1, max: 100000, doc: 'Most headers accepted in one frame' },
  maxHeaderLength: { type: 'integer', default: 65536, min: 64, max: 1073741824, doc: 'Longest accepted header line in bytes' },
  heartbeatSendMs: { type: 'integer', default: 10000, min: 0, max: 86400000, doc: 'Heart-beat the server offers to send, in ms (cx of CONNECTED heart-beat; 0 = none)' },
  heartbeatReceiveMs: { type: 'integer', default: 10000, min: 0, max: 86400000, doc: 'Heart-beat the server wants from clients, in ms (cy of CONNECTED heart-beat; 0 = none)' },
  heartbeatTolerance: { type: 'number', default: 1.5, min: 1, max: 100, doc: 'A client silent for tolerance x the agreed interval is disconnected' },
  maxOutputBytes: { type: 'integer', default: 8388608, min: 1024, max: 4294967296, doc: 'Per-connection bound on buffered outgoing bytes' },
  slowConsumerPolicy: { type: 'enum', values: ['disconnect', 'drop'], default: 'disconnect', doc: "What happens when a connection's output buffer passes maxOutputBytes: disconnect it, or drop messages" },
  defaultPrefetch: { type: 'integer', default: 0, min: 0, max: 1000000, doc: 'Unacked messages per subscription unless SUBSCRIBE sets prefetch-count (0 = unlimited)' },
  maxDeliveries: { type: 'integer', default: 10, min: 0, max: 1000000, doc: 'Deliveries of a queue message before it goes to the dead-letter queue (0 = never)' },
  deadLetterQueue: {
    type: 'string', default: '/queue/DLQ', doc: 'Destination of dead-lettered messages',
    check: (v: string) => (/^\/queue\/\S+$/.test(v) ? undefined : 'must be a queue destination like /queue/DLQ'),
  },
  destinations: {
    type: 'policies', default: [],
    doc: 'Per-destination policies, first match wins, as JSON: [{"match": "/topic/chat.#", "history": 100, "historyAgeMs": 3600000}, {"match": "/queue/orders", "persistent": true, "ttlMs": 60000, "maxLength": 1000, "overflow": "reject-publish"}] (see docs/destinations.md)',
  },
  maxQueueLength: { type: 'integer', default: 0, min: 0, max: 1000000000, doc: 'Most messages held by one queue (past it the oldest goes to the dead-letter queue) and parked per client-ack topic subscription (0 = unbounded)' },
  mqttPort: { type: 'integer', default: 1883, max: PORT_MAX, doc: 'MQTT 3.1.1/5.0 TCP port (0 = any free port, negative = no MQTT TCP listener)' },
  mqttWsPaths: {
    type: 'string', default: '/mqtt', doc: "Comma-separated HTTP paths that accept MQTT over WebSocket (sub-protocol 'mqtt' or none); empty = none",
    check: (v: string) => (v.trim() === '' || v.split(',').every((p) => /^\/[^\s,?#]*$/.test(p.trim())) ? undefined : 'must be paths starting with /, separated by commas'),
  },
  mqttMaxPacketSize: { type: 'integer', default: 1048576, min: 64, max: 268435460, doc: 'Largest MQTT packet accepted, in bytes (checked before the packet is buffered; MQTT 5 clients are told in CONNACK)' },
  mqttMaxInflight: { type: 'integer', default: 100, min: 1, max: 65535, doc: "MQTT QoS 1/2 messages in flight per session in each direction (the server's Receive Maximum; a client's own smaller one is honoured)" },
  mqttMaxOfflineMessages: { type: 'integer', default: 1000, min: 1, max: 10000000, doc: 'Messages queued per MQTT session for QoS 1/2 subscriptions while it is offline or slow; past it the oldest is dropped' },
  mqttMaxRetainedMessages: { type: 'integer', default: 100000, min: 0, max: 100000000, doc: 'Topics that may hold a retained message; past it a retained publish to a new topic is routed but not kept (0 = unbounded)' },
  mqttMaxKeepAlive: { type: 'integer', default: 0, min: 0, max: 65535, doc: 'Longest MQTT keep-alive allowed, in seconds; MQTT 5 clients asking more (or none) are given this as Server Keep Alive (0 = no limit)' },
  mqttMaxSessionExpiry: { type: 'integer', default: 604800, min: 0, max: 4294967295, doc: 'Longest time an offline MQTT session is kept, in seconds (3.1.1 clean-session-false sessions get this; 5.0 requests are capped to it)' },
  mqttMaxTopicAlias: { type: 'integer', default: 64, min: 0, max: 65535, doc: "Topic aliases an MQTT 5 client may set per connection (the server's Topic Alias Maximum)" },
  mqttSysIntervalMs: { type: 'integer', default: 10000, min: 0, max: 86400000, doc: 'How often the $SYS/broker/... topics are published, in ms (0 = never)' },
  users: { type: 'users', default: [], doc: 'Accepted logins, as login:passcode,login2:passcode2 (none = anonymous access)' },
  connectTimeoutMs: { type: 'integer', default: 10000, min: 1, max: 3600000, doc: 'A socket that sends no CONNECT within this many ms is closed' },
  shutdownTimeoutMs: { type: 'integer', default: 5000, min: 1, max: 3600000, doc: 'Time allowed for a graceful shutdown before a hard exit, in ms' },
} as const satisfies Record<string, OptionDef>;

type Schema = typeof SCHEMA;
export type OptionKey = keyof Schema;
type ValueOf<D> = D extends { type: 'enum'; values: readonly (infer V)[] } ? V
  : D extends { type: 'string' } ? string
  : D extends { type: 'integer' | 'number' } ? number
  : D extends { type: 'boolean' } ? boolean
  : D extends { type: 'users' } ? UserCredential[]
  : D extends { type: 'policies' } ? DestinationPolicy[]
  : never;

/** The broker's whole configuration, derived from SCHEMA. */
export type BrokerConfig = { -readonly [K in OptionKey]: ValueOf<Schema[K]> };

export interface OptionInfo {
  key: OptionKey; flag: string; env: string; type: OptionDef['type'];
  default: unknown; doc: string; min?: number; max?: number; values?: readonly string[];
}

export const ENV_PREFIX = 'STOMPBOX_';
const flagOf = (key: string) => '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
const envOf = (key: string) => ENV_PREFIX + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();

/** Every option with its derived flag and environment variable, in schema order. */
export const OPTIONS: readonly OptionInfo[] = (Object.keys(SCHEMA) as OptionKey[]).map((key) => {
  const def: OptionDef = SCHEMA[key];
  return {
    key, flag: flagOf(key), env: envOf(key), type: def.type, default: def.default, doc: def.doc,
    ...('min' in def && def.min !== undefined ? { min: def.min } : {}),
    ...('max' in def && def.max !== undefined ? { max: def.max } : {}),
    ...(def.type === 'enum' ? { values: def.values } : {}),
  };
});
const BY_KEY = new Map(OPTIONS.map((o) => [o.key as string, o]));
const BY_FLAG = new Map(OPTIONS.map((o) => [o.flag, o]));

export function defaultConfig(): BrokerConfig {
  const out: Record<string, unknown> = {};
  for (const o of OPTIONS) out[o.key] = o.type === 'users' || o.type === 'policies' ? (o.default as object[]).map((u) => ({ ...u })) : o.default;
  return out as BrokerConfig;
}

function fail(message: string): never {
  throw new StompboxError(ErrorCodes.BAD_CONFIG, message);
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

/** Checks a typed value (bounds, enum membership, per-option checks); returns it or throws. */
function check(o: OptionInfo, value: unknown, source: string): unknown {
  const bad = (why: string): never => fail(`invalid ${o.key} ${show(value)} from ${source}: ${why}`);
  const def: OptionDef = SCHEMA[o.key];
  switch (def.type) {
    case 'string':
      if (typeof value !== 'string') bad('expected a string');
      { const why = def.check?.(value as string); if (why) bad(why); }
      return value;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) bad(`expected ${def.type === 'integer' ? 'an integer' : 'a number'}`);
      if (def.type === 'integer' && !Number.isInteger(value)) bad('expected an integer');
      if (def.min !== undefined && (value as number) < def.min) bad(`must be at least ${def.min}`);
      if (def.max !== undefined && (value as number) > def.max) bad(`must be at most ${def.max}`);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') bad('expected true or false');
      return value;
    case 'enum':
      if (typeof value !== 'string' || !def.values.includes(value)) bad(`expected one of ${def.values.join(', ')}`);
      return value;
    case 'users': {
      if (!Array.isArray(value)) bad('expected a list of {"login", "passcode"} objects');
      const seen = new Set<string>();
      return (value as unknown[]).map((u, i) => {
        if (typeof u !== 'object' || u === null || Array.isArray(u)) return bad(`entry ${i} is not an object`);
        const extra = Object.keys(u).filter((k) => k !== 'login' && k !== 'passcode');
        if (extra.length) bad(`entry ${i} has unknown key ${extra[0]}`);
        const { login, passcode } = u as Record<string, unknown>;
        if (typeof login !== 'string' || login === '') bad(`entry ${i} needs a non-empty string "login"`);
        if (typeof passcode !== 'string') bad(`entry ${i} needs a string "passcode"`);
        if (seen.has(login as string)) bad(`login ${show(login)} appears twice`);
        seen.add(login as string);
        return { login, passcode } as UserCredential;
      });
    }
    case 'policies': {
      const why = policyListProblem(value);
      if (why !== undefined) bad(why);
      return (value as DestinationPolicy[]).map((p) => ({ ...p }));
    }
  }
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** Parses the string form used by environment variables and flags, then checks it. */
function parseText(o: OptionInfo, text: string, source: string): unknown {
  const bad = (why: string): never => fail(`invalid ${o.key} ${JSON.stringify(text)} from ${source}: ${why}`);
  const t = text.trim();
  switch (o.type) {
    case 'integer':
      if (!/^[+-]?\d+$/.test(t)) bad('expected an integer');
      return check(o, Number(t), source);
    case 'number':
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) bad('expected a number');
      return check(o, Number(t), source);
    case 'boolean': {
      const l = t.toLowerCase();
      if (TRUE.has(l)) return true;
      if (FALSE.has(l)) return false;
      return bad('expected true or false');
    }
    case 'users':
      return check(o, parseUsers(text, bad), source);
    case 'policies': {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (err) {
        return bad(`not valid JSON: ${(err as Error).message}`);
      }
      return check(o, v, source);
    }
    default:
      return check(o, text, source);
  }
}

/** `login:passcode,login2:passcode2`; the passcode is everything after the first colon. */
function parseUsers(text: string, bad: (why: string) => never): UserCredential[] {
  if (text.trim() === '') return [];
  return text.split(',').map((entry) => {
    const colon = entry.indexOf(':');
    if (colon < 0) bad(`entry ${JSON.stringify(entry)} is not login:passcode`);
    return { login: entry.slice(0, colon).trim(), passcode: entry.slice(colon + 1) };
  });
}

export interface LoadConfigOptions {
  argv?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
}

export interface LoadedConfig {
  config: BrokerConfig;
  /** set when --help / -h was given: the text to print */
  help?: string;
  /** set when --version was given */
  version?: boolean;
  /** set when --print-config was given */
  printConfig?: boolean;
  /** config file actually read, if any (absolute path) */
  configFile?: string;
  /** non-fatal notes, e.g. unknown STOMPBOX_* environment variables */
  warnings: string[];
}

const CONFIG_FLAG = '--config';
const CONFIG_ENV = ENV_PREFIX + 'CONFIG';

/**
 * Builds the configuration from defaults < config file < env < flags.
 * Throws StompboxError(BAD_CONFIG) naming the option and source on any problem.
 */
export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const argv = opts.argv ?? [];
  const env = opts.env ?? {};
  const cwd = opts.cwd ?? process.cwd();
  const config = defaultConfig() as Record<string, unknown>;
  const warnings: string[] = [];
  if (argv.includes('--help') || argv.includes('-h')) return { config: config as BrokerConfig, help: formatHelp(), warnings };
  if (argv.includes('--version')) return { config: config as BrokerConfig, version: true, warnings };

  // Flags are parsed first (so --config is known) but applied last.
  const flagValues: Array<[OptionInfo, string, string]> = [];
  let configPath = env[CONFIG_ENV] || undefined;
  let printConfig = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) fail(`unexpected argument ${JSON.stringify(arg)} (see --help)`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    let inline = eq < 0 ? undefined : arg.slice(eq + 1);
    if (name === '--print-config') { printConfig = true; continue; }
    let o = BY_FLAG.get(name);
    if (!o && name.startsWith('--no-')) {
      const neg = BY_FLAG.get('--' + name.slice(5));
      if (neg?.type === 'boolean' && inline === undefined) { flagValues.push([neg, 'false', `flag ${name}`]); continue; }
    }
    if (!o && name !== CONFIG_FLAG) fail(`unknown option ${name} (see --help)`);
    if (inline === undefined) {
      const next = argv[i + 1];
      if (o?.type === 'boolean') {
        if (next !== undefined && (TRUE.has(next.toLowerCase()) || FALSE.has(next.toLowerCase()))) { inline = next; i++; } else inline = 'true';
      } else {
        if (next === undefined) fail(`option ${name} needs a value`);
        inline = next; i++;
      }
    }
    if (o) flagValues.push([o, inline, `flag ${name}`]);
    else configPath = inline;
  }

  let configFile: string | undefined;
  if (configPath !== undefined) {
    if (configPath === '') fail('--config needs a file name');
    configFile = resolve(cwd, configPath);
    applyFile(config, configFile);
  }

  for (const o of OPTIONS) {
    const v = env[o.env];
    if (v !== undefined && v !== '') config[o.key] = parseText(o, v, `environment variable ${o.env}`);
  }
  const knownEnv = new Set([CONFIG_ENV, ...OPTIONS.map((o) => o.env)]);
  for (const name of Object.keys(env)) {
    if (name.startsWith(ENV_PREFIX) && !knownEnv.has(name)) warnings.push(`ignoring unknown environment variable ${name}`);
  }
  for (const [o, text, source] of flagValues) config[o.key] = parseText(o, text, source);

  crossCheck(config as BrokerConfig);
  return { config: config as BrokerConfig, ...(printConfig ? { printConfig } : {}), ...(configFile ? { configFile } : {}), warnings };
}

function applyFile(config: Record<string, unknown>, file: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    fail(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail(`config file ${file} must hold a JSON object`);
  for (const [key, value] of Object.entries(doc)) {
    const o = BY_KEY.get(key);
    if (!o) fail(`unknown option ${JSON.stringify(key)} in config file ${file}`);
    config[key] = check(o, value, `config file ${file}`);
  }
}

function crossCheck(c: BrokerConfig): void {
  // The default header-line limit follows a smaller frame limit (`--max-frame-size 2048`
  // alone must work); only a header limit chosen above the frame limit is an error.
  if (c.maxHeaderLength === SCHEMA.maxHeaderLength.default && c.maxHeaderLength > c.maxFrameSize) c.maxHeaderLength = c.maxFrameSize;
  if (c.maxHeaderLength > c.maxFrameSize) fail(`invalid maxHeaderLength ${c.maxHeaderLength}: must not exceed maxFrameSize (${c.maxFrameSize})`);
  if (c.stompPort > 0 && c.stompPort === c.httpPort) fail(`invalid httpPort ${c.httpPort}: stompPort and httpPort must differ`);
  if (c.mqttPort > 0 && (c.mqttPort === c.stompPort || c.mqttPort === c.httpPort)) fail(`invalid mqttPort ${c.mqttPort}: it must differ from stompPort and httpPort`);
  const ws = (p: string) => p.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const both = ws(c.mqttWsPaths).filter((p) => ws(c.stompWsPaths).includes(p));
  if (both.length > 0) fail(`invalid mqttWsPaths ${JSON.stringify(c.mqttWsPaths)}: ${both[0]} is also a STOMP WebSocket path`);
}

function formatDefault(o: OptionInfo): string {
  if (o.type === 'users') return (o.default as UserCredential[]).map((u) => `${u.login}:${u.passcode}`).join(',') || 'none';
  if (o.type === 'policies') return (o.default as unknown[]).length === 0 ? 'none' : JSON.stringify(o.default);
  return String(o.default);
}

const VALUE_NAME: Record<OptionDef['type'], string> = {
  string: '<text>', integer: '<int>', number: '<num>', boolean: '[true|false]', enum: '', users: '<login:pass,...>', policies: '<json>',
};

/** The `--help` text: every option with its flag, env var, default and doc. */
export function formatHelp(): string {
  const lines = [
    'Usage: stompbox [options]',
    '',
    'Stompbox: a STOMP 1.0-1.2 and MQTT 3.1.1/5.0 message broker over TCP and WebSocket.',
    'Settings come from defaults < config file < STOMPBOX_* environment variables < flags.',
    '',
    'General:',
    `  --config <file>        JSON config file with camelCase keys (env ${CONFIG_ENV})`,
    '  --print-config         Print the effective configuration as JSON and exit',
    '  -h, --help             Print this help and exit',
    '  --version              Print the version and exit',
    '',
    'Options:',
  ];
  for (const o of OPTIONS) {
    const valueName = o.type === 'enum' ? `<${o.values!.join('|')}>` : VALUE_NAME[o.type];
    lines.push(`  ${o.flag} ${valueName}`);
    lines.push(`      ${o.doc}`);
    const range = o.min !== undefined || o.max !== undefined ? `, range ${o.min ?? '-inf'}..${o.max ?? 'inf'}` : '';
    lines.push(`      env ${o.env}, default ${formatDefault(o)}${range}`);
  }
  return lines.join('\n') + '\n';
}

/** A JSON config document (pretty, newline-terminated) holding every option; defaults unless `config` is given. */
export function referenceConfig(config: BrokerConfig = defaultConfig()): string {
  const doc: Record<string, unknown> = {};
  for (const o of OPTIONS) doc[o.key] = config[o.key];
  return JSON.stringify(doc, null, 2) + '\n';
}
