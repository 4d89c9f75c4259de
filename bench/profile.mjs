#!/usr/bin/env node
// CPU profile of Stompbox under one benchmark scenario.
//
//   node bench/profile.mjs [--scenario fanout-ws|mqtt-qos1|...] [--seconds 10] [--top 25] [--dir /tmp/prof]
//                          [and any run.mjs load option: --fanout, --ws-client, --sub-workers, ...]
//
// Starts the broker with `node --cpu-prof`, runs the scenario against it, stops
// it (SIGTERM: the CLI exits cleanly, so V8 writes the .cpuprofile), then prints
// the scenario's numbers and the functions with the most self time, plus self
// time summed per file. The profile covers the whole broker lifetime (start-up,
// connection set-up, warm-up, drain); with --seconds 10 the measured interval
// dominates.
import fs from 'node:fs';
import path from 'node:path';
import { scenarios as stompScenarios, DEFAULTS } from './loadgen/scenarios.mjs';
import { mqttScenarios, MQTT_DEFAULTS } from './loadgen/mqtt-scenarios.mjs';
import { startStompbox } from './peers/stompbox.mjs';

const scenarios = { ...stompScenarios, ...mqttScenarios };
const o = { ...DEFAULTS, scenario: 'fanout-ws', top: 25, dir: '/tmp/prof' };
const argv = process.argv.slice(2);
const num = { '--persistent-window': 'persistentWindow', '--persistent-prefetch': 'persistentPrefetch', '--seconds': 'seconds', '--warmup': 'warmupSeconds', '--fanout': 'fanout', '--fanout-window': 'fanoutWindow', '--window': 'window', '--rate': 'rate', '--sub-workers': 'subWorkers', '--top': 'top' };
const str = { '--scenario': 'scenario', '--dir': 'dir', '--ws-client': 'wsClient', '--stomp-reader': 'reader' };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (i + 1 >= argv.length || !(a in num || a in str)) throw new Error(`usage: see the header of ${path.basename(process.argv[1])} (bad argument ${a})`);
  if (a in num) o[num[a]] = Number(argv[++i]); else o[str[a]] = argv[++i];
}
if (!scenarios[o.scenario] || o.scenario === 'idle-ws' || o.scenario === 'mqtt-idle') throw new Error(`unsupported scenario ${o.scenario}`);
// MQTT scenarios take their own defaults where the STOMP ones differ.
if (o.scenario in mqttScenarios) for (const k of ['qos1Window', 'fanoutWindow']) if (!argv.includes(`--${k}`)) o[k] = MQTT_DEFAULTS[k];

/** Self time per call-frame (function, url, line) from a .cpuprofile. */
function summarise(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map(); // node id -> µs
  const ts = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) || 0) + (ts[i] > 0 ? ts[i] : 0));
  }
  const fns = new Map();
  const files = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const file = cf.url ? cf.url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '') : '(native / V8)';
    const key = `${cf.functionName || '(anonymous)'}  ${file}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) || 0) + us);
    files.set(file, (files.get(file) || 0) + us);
    total += us;
  }
  const sort = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return { total, functions: sort(fns), files: sort(files) };
}

async function main() {
  fs.mkdirSync(o.dir, { recursive: true });
  const before = new Set(fs.readdirSync(o.dir));
  const broker = await startStompbox({ nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${o.dir}`] });
  let row;
  try {
    row = await scenarios[o.scenario](broker, o);
  } finally {
    await broker.stop();
  }
  let file = null;
  for (let i = 0; i < 50 && !file; i++) { // V8 writes the profile as the process exits
    file = fs.readdirSync(o.dir).find((f) => f.endsWith('.cpuprofile') && !before.has(f)) || null;
    if (!file) await new Promise((r) => setTimeout(r, 100));
  }
  const keys = ['delivered_per_s', 'broker_cpu_us_per_msg', 'broker_cpu_pct', 'loadgen_cpu_pct', 'other_cpu_pct', 'lost', 'out_of_order', 'duplicates'];
  console.log(`${o.scenario}: ${keys.map((k) => `${k}=${row[k]}`).join(' ')}`);
  if (!file) throw new Error(`no new .cpuprofile in ${o.dir}`);
  const { total, functions, files } = summarise(JSON.parse(fs.readFileSync(path.join(o.dir, file), 'utf8')));
  const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  console.log(`\n${path.join(o.dir, file)}: ${(total / 1e6).toFixed(1)} s sampled (main thread)\n\ntop ${o.top} functions by self time:`);
  for (const [k, us] of functions.slice(0, o.top)) console.log(`${pct(us)}  ${k}`);
  console.log('\nself time per file:');
  for (const [k, us] of files.slice(0, 15)) console.log(`${pct(us)}  ${k}`);
}

main().catch((e) => { console.error(e.stack || e.message); process.exit(1); });
