#!/usr/bin/env node
// Stompbox benchmark runner: every scenario against every broker, in one run.
//
//   node bench/run.mjs [--brokers stompbox,rabbitmq] [--scenarios a,b,...] [--seconds 10]
//                      [--fanout 1000] [--idle-connections 10000] [--rate 10000] [--persistent-window 64]
//                      [--sub-workers N] [--ws-client raw|ws] [--stomp-reader fast|full]
//                      [--out bench/results] [--fail-fast]
//
// Each (broker, scenario) pair gets a freshly started broker, so RSS and CPU
// figures never carry over. Results: a Markdown table on stdout and in
// bench/results/<stamp>.md plus the raw rows in bench/results/<stamp>.json.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenarios, DEFAULTS, SCENARIO_NAMES } from './loadgen/scenarios.mjs';
import { WS_CLIENTS } from './loadgen/conn.mjs';
import { startRabbit } from './peers/rabbitmq.mjs';
import { startStompbox } from './peers/stompbox.mjs';
import { raiseFdLimit } from './fd-limit.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PEERS = {
  stompbox: { label: 'Stompbox', start: startStompbox },
  // Every topic with a history (docs/recovery.md): each message goes out once written.
  'stompbox-history': {
    label: 'Stompbox, topic history',
    start: (o) => startStompbox({ ...o, extraArgs: [...(o?.extraArgs ?? []), '--destinations', JSON.stringify([{ match: '/topic/#', history: 1000 }])] }),
  },
  // Another build as the baseline in the same run: STOMPBOX_BASELINE_CLI=<checkout>/packages/broker/dist/src/cli.js
  'stompbox-baseline': {
    label: 'Stompbox, baseline build',
    start: (o) => {
      if (!process.env.STOMPBOX_BASELINE_CLI) throw new Error('stompbox-baseline needs STOMPBOX_BASELINE_CLI (the cli.js of the build to compare with)');
      return startStompbox({ ...o, cli: process.env.STOMPBOX_BASELINE_CLI });
    },
  },
  rabbitmq: { label: 'RabbitMQ', start: startRabbit },
};

function parseArgs(argv) {
  const o = {
    brokers: ['stompbox', 'rabbitmq'], scenarios: SCENARIO_NAMES, out: path.join(HERE, 'results'),
    ...DEFAULTS, keepGoing: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--brokers') o.brokers = v().split(',').filter(Boolean);
    else if (a === '--scenarios') o.scenarios = v().split(',').filter(Boolean);
    else if (a === '--seconds') o.seconds = Number(v());
    else if (a === '--warmup') o.warmupSeconds = Number(v());
    else if (a === '--fanout') o.fanout = Number(v());
    else if (a === '--fanout-window') o.fanoutWindow = Number(v());
    else if (a === '--window') o.window = Number(v());
    else if (a === '--idle-connections') o.idleConnections = Number(v());
    else if (a === '--idle-settle') o.idleSettleSeconds = Number(v());
    else if (a === '--rate') o.rate = Number(v());
    else if (a === '--persistent-window') o.persistentWindow = Number(v());
    else if (a === '--persistent-prefetch') o.persistentPrefetch = Number(v());
    else if (a === '--sub-workers') o.subWorkers = Number(v());
    else if (a === '--ws-client') o.wsClient = v();
    else if (a === '--stomp-reader') o.reader = v();
    else if (a === '--out') o.out = path.resolve(v());
    else if (a === '--fail-fast') o.keepGoing = false;
    else if (a === '-h' || a === '--help') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 11).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!WS_CLIENTS.includes(o.wsClient)) throw new Error(`--ws-client must be one of ${WS_CLIENTS}`);
  if (!['fast', 'full'].includes(o.reader)) throw new Error('--stomp-reader must be fast or full');
  if (o.subWorkers !== null && !(o.subWorkers >= 1)) throw new Error('--sub-workers must be >= 1');
  for (const b of o.brokers) if (!PEERS[b]) throw new Error(`unknown broker ${b} (have ${Object.keys(PEERS)})`);
  for (const s of o.scenarios) if (!scenarios[s]) throw new Error(`unknown scenario ${s} (have ${Object.keys(scenarios)})`);
  return o;
}

function environment() {
  const cpus = os.cpus();
  let rabbit = null;
  try { rabbit = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'rabbitmq-server'], { encoding: 'utf8' }); } catch { /* not installed */ }
  return { date: new Date().toISOString(), node: process.version, cpu: cpus[0]?.model, cores: cpus.length, memGiB: Math.round(os.totalmem() / 2 ** 30), rabbitmq: rabbit };
}

const fmt = (v) => (v === null || v === undefined ? '–' : typeof v === 'number' ? (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(v)) : String(v));

function markdown(rows, o, env) {
  const bs = o.brokers;
  const labels = bs.map((b) => PEERS[b].label);
  const ratio = bs.length === 2;
  const head = ['scenario', 'metric', ...labels];
  if (ratio) head.push(`ratio ${labels[0]}/${labels[1]}`);
  head.push('lost', 'out-of-order', 'duplicates');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const s of o.scenarios) {
    const byBroker = bs.map((b) => rows.find((r) => r.broker === b && r.scenario === s));
    const metricNames = [];
    for (const r of byBroker) for (const m of r?.metrics || []) if (!metricNames.includes(m.name)) metricNames.push(m.name);
    if (!metricNames.length) metricNames.push('error');
    metricNames.forEach((name, idx) => {
      const ms = byBroker.map((r) => r?.metrics?.find((m) => m.name === name));
      const unit = ms.find(Boolean)?.unit;
      const better = ms.find(Boolean)?.better;
      const cells = byBroker.map((r, j) => (r?.error ? `ERROR: ${r.error.split('\n')[0].slice(0, 80)}` : fmt(ms[j]?.value)));
      const line = [idx === 0 ? s : '', `${name}${unit ? ` (${unit}${better === 'higher' ? ', ↑' : better === 'lower' ? ', ↓' : ''})` : ''}`, ...cells];
      if (ratio) {
        const [x, y] = ms.map((m) => m?.value);
        line.push(typeof x === 'number' && typeof y === 'number' && y !== 0 ? `${(x / y).toFixed(2)}×` : '–');
      }
      for (const k of ['lost', 'out_of_order', 'duplicates']) {
        line.push(idx === 0 ? byBroker.map((r) => fmt(r?.[k])).join(' / ') : '');
      }
      lines.push(`| ${line.join(' | ')} |`);
    });
  }
  const cfg = `${o.seconds}s per run (+${o.warmupSeconds}s warm-up), window ${o.window}, fanout ${o.fanout} (window ${o.fanoutWindow}), idle ${o.idleConnections} conns, latency at ${o.rate} msg/s, persistent window ${o.persistentWindow} (prefetch ${o.persistentPrefetch}); ws client ${o.wsClient}, STOMP reader ${o.reader}, subscriber workers ${o.subWorkers ?? 'auto (fanout 2, else 1)'}`;
  return [
    `## Stompbox benchmark, ${env.date}`, '',
    `${env.cores}× ${env.cpu}, ${env.memGiB} GiB, Node ${env.node}, RabbitMQ ${env.rabbitmq || '?'}; ${cfg}.`,
    `Correctness columns show ${labels.join(' / ')}. Ratio: >1 means ${labels[0]} has the larger number (see ↑/↓ for which is better).`, '',
    ...lines, '',
    ...noisy(rows),
  ].join('\n');
}

/** Warn when other processes were competing for the CPUs during a run. */
function noisy(rows) {
  const busy = rows.filter((r) => (r.other_cpu_pct ?? 0) > 15);
  if (!busy.length) return [];
  const list = busy.map((r) => `${r.broker}/${r.scenario} ${r.other_cpu_pct}%`).join(', ');
  return [`**Warning:** other processes used CPU during ${list} (% of one core); those numbers are unreliable.`, ''];
}

let current = null; // the broker running now, stopped on SIGINT/SIGTERM
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, async () => {
    process.stderr.write(`[bench] ${sig}: stopping broker\n`);
    if (current) await current.stop().catch(() => {});
    process.exit(130);
  });
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const fd = raiseFdLimit();
  if (fd !== null && fd < o.idleConnections + 2000 && o.scenarios.includes('idle-ws')) {
    console.warn(`warning: fd limit ${fd} is below what idle-ws needs; run under \`ulimit -n 65536\``);
  }
  const env = environment();
  const rows = [];
  for (const b of o.brokers) {
    for (const s of o.scenarios) {
      const label = `${PEERS[b].label} ${s}`;
      process.stderr.write(`[bench] ${label}: starting broker\n`);
      let broker = null;
      const row = { broker: b, scenario: s };
      try {
        broker = current = await PEERS[b].start();
        process.stderr.write(`[bench] ${label}: running (broker pid ${broker.pid}, stomp ${broker.stompPort}, ${broker.wsUrl})\n`);
        Object.assign(row, await scenarios[s](broker, o), { broker: b });
      } catch (e) {
        row.error = e.message;
        process.stderr.write(`[bench] ${label}: ERROR ${e.stack || e.message}\n`);
        if (!o.keepGoing) { if (broker) await broker.stop(); throw e; }
      } finally {
        if (broker) await broker.stop();
        current = null;
      }
      const summary = (row.metrics || []).map((m) => `${m.name}=${fmt(m.value)} ${m.unit}`).join(', ');
      process.stderr.write(`[bench] ${label}: ${row.error ? 'failed' : summary}${row.error ? '' : ` lost=${row.lost} ooo=${row.out_of_order} dup=${row.duplicates}`}\n`);
      rows.push(row);
    }
  }
  const md = markdown(rows, o, env);
  console.log(md);
  fs.mkdirSync(o.out, { recursive: true });
  const stamp = env.date.replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(o.out, `${stamp}.md`), md);
  fs.writeFileSync(path.join(o.out, `${stamp}.json`), JSON.stringify({ env, options: o, rows }, null, 2));
  fs.writeFileSync(path.join(o.out, 'latest.md'), md);
  fs.writeFileSync(path.join(o.out, 'latest.json'), JSON.stringify({ env, options: o, rows }, null, 2));
  process.stderr.write(`[bench] wrote ${path.join(o.out, `${stamp}.{md,json}`)}\n`);
  const failed = rows.filter((r) => r.error).length;
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => { console.error(e.stack || e.message); process.exit(2); });
