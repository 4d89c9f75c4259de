#!/usr/bin/env node
// MQTT benchmark: every MQTT scenario against Stompbox, Mosquitto and Aedes, in one run.
//
//   node bench/mqtt.mjs [--brokers stompbox,mosquitto,aedes] [--scenarios mqtt-qos0,...]
//                       [--seconds 5] [--repeat 3] [--fanout 1000] [--idle-connections 10000]
//                       [--out bench/results]
//
// Each (broker, scenario, repeat) gets a freshly started broker. The table gives the
// median of the repeats and Stompbox's ratio to each peer; loss, disorder and
// duplicates are summed over the repeats (they must be 0).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { raiseFdLimit } from './fd-limit.mjs';
import { MQTT_DEFAULTS, MQTT_SCENARIO_NAMES, mqttScenarios } from './loadgen/mqtt-scenarios.mjs';
import { startAedes } from './peers/aedes.mjs';
import { startMosquitto } from './peers/mosquitto.mjs';
import { startStompbox } from './peers/stompbox.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PEERS = {
  stompbox: { label: 'Stompbox', start: startStompbox },
  mosquitto: { label: 'Mosquitto', start: startMosquitto },
  aedes: { label: 'Aedes', start: startAedes },
};

function parseArgs(argv) {
  const o = { brokers: Object.keys(PEERS), scenarios: MQTT_SCENARIO_NAMES, repeat: 3, out: path.join(HERE, 'results'), ...MQTT_DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--brokers') o.brokers = v().split(',');
    else if (a === '--scenarios') o.scenarios = v().split(',');
    else if (a === '--seconds') o.seconds = Number(v());
    else if (a === '--warmup') o.warmupSeconds = Number(v());
    else if (a === '--repeat') o.repeat = Number(v());
    else if (a === '--fanout') o.fanout = Number(v());
    else if (a === '--idle-connections') o.idleConnections = Number(v());
    else if (a === '--out') o.out = path.resolve(v());
    else throw new Error(`unknown argument ${a}`);
  }
  for (const b of o.brokers) if (!PEERS[b]) throw new Error(`unknown broker ${b}`);
  for (const s of o.scenarios) if (!mqttScenarios[s]) throw new Error(`unknown scenario ${s}`);
  return o;
}

const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (v) => (v === null || v === undefined ? '–' : Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(Math.round(v * 100) / 100));

function versions() {
  const v = {};
  try { v.mosquitto = /mosquitto version (\S+)/.exec(execFileSync('mosquitto', ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))?.[1]; } catch (e) { v.mosquitto = /mosquitto version (\S+)/.exec(String(e.stdout))?.[1] ?? null; }
  try { v.aedes = JSON.parse(fs.readFileSync(path.join(HERE, '..', 'node_modules', 'aedes', 'package.json'), 'utf8')).version; } catch { v.aedes = null; }
  return v;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  raiseFdLimit();
  const rows = [];
  for (const s of o.scenarios) {
    for (const b of o.brokers) {
      for (let r = 0; r < o.repeat; r++) {
        const broker = await PEERS[b].start();
        let row;
        try {
          row = await mqttScenarios[s](broker, o);
        } catch (e) {
          row = { metrics: [], error: e.message };
        } finally {
          await broker.stop();
        }
        rows.push({ broker: b, scenario: s, repeat: r, ...row });
        const m = row.metrics?.[0];
        console.error(`${s} ${b} #${r + 1}: ${m ? `${m.name} ${fmt(m.value)} ${m.unit}` : ''} lost ${row.lost ?? '-'} ooo ${row.outOfOrder ?? '-'} dup ${row.duplicates ?? '-'}${row.error ? ` ERROR ${row.error}` : ''}`);
      }
    }
  }
  const env = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), ...versions() };
  const labels = o.brokers.map((b) => PEERS[b].label);
  const others = o.brokers.slice(1);
  const head = ['scenario', 'metric', ...labels, ...others.map((b) => `${labels[0]}/${PEERS[b].label}`), 'lost', 'out-of-order', 'duplicates'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const s of o.scenarios) {
    const names = [];
    for (const r of rows) if (r.scenario === s) for (const m of r.metrics) if (!names.includes(m.name)) names.push(m.name);
    names.forEach((name, idx) => {
      const meds = o.brokers.map((b) => median(rows.filter((r) => r.broker === b && r.scenario === s).map((r) => r.metrics.find((m) => m.name === name)?.value)));
      const any = rows.find((r) => r.scenario === s && r.metrics.find((m) => m.name === name))?.metrics.find((m) => m.name === name);
      const arrow = any?.better === 'higher' ? ', ↑' : any?.better === 'lower' ? ', ↓' : '';
      const ratios = others.map((_, k) => (meds[0] !== null && meds[k + 1] ? `${(meds[0] / meds[k + 1]).toFixed(2)}×` : '–'));
      const sum = (key) => o.brokers.map((b) => rows.filter((r) => r.broker === b && r.scenario === s).reduce((a, r) => a + (r[key] ?? 0), 0)).join(' / ');
      const errs = o.brokers.map((b) => rows.filter((r) => r.broker === b && r.scenario === s && r.error).length);
      const cells = meds.map((m, k) => (errs[k] > 0 && m === null ? 'ERROR' : fmt(m)));
      lines.push(`| ${idx === 0 ? s : ''} | ${name} (${any?.unit}${arrow}) | ${cells.join(' | ')} | ${ratios.join(' | ')} | ${idx === 0 ? sum('lost') : ''} | ${idx === 0 ? sum('outOfOrder') : ''} | ${idx === 0 ? sum('duplicates') : ''} |`);
    });
  }
  const header = `${env.cores}× ${env.cpu}, ${env.memGiB} GiB, Node ${env.node}, Mosquitto ${env.mosquitto}, Aedes ${env.aedes}; ${o.seconds} s per run (+${o.warmupSeconds} s warm-up), median of ${o.repeat} runs, each on a fresh broker; MQTT 3.1.1 over TCP, 100-byte bodies; fan-out ${o.fanout}, idle ${o.idleConnections} connections.`;
  const md = `${header}\nCorrectness columns: ${labels.join(' / ')}, summed over the runs.\n\n${lines.join('\n')}\n`;
  console.log(md);
  fs.mkdirSync(o.out, { recursive: true });
  const stamp = env.date.replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(o.out, `mqtt-${stamp}.md`), md);
  fs.writeFileSync(path.join(o.out, `mqtt-${stamp}.json`), JSON.stringify({ env, options: o, rows }, null, 2));
  const errors = rows.filter((r) => r.error);
  process.exit(errors.length > 0 ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
