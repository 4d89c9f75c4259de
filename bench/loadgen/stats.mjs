// Measurement helpers: message body layout, a latency histogram, a per-stream
// sequence checker, and /proc sampling of the broker process.
import fs from 'node:fs';

// ---- message body ---------------------------------------------------------
// 100 ASCII bytes: "PPPP SSSSSSSSSSSS TTTTTTTTTTTTTTTTTTTTTTT ....."
//   [0,4)   publisher id, [5,17) serial, [18,41) send time in ms since epoch
//   (performance.timeOrigin + performance.now(), comparable across threads).
export const BODY_LEN = 100;
const PAD = '.'.repeat(BODY_LEN);

export function nowMs() {
  return performance.timeOrigin + performance.now();
}

/** Write the body for (pub, serial, ts) into buf at off (latin1). */
export function writeBody(buf, off, pub, serial, ts) {
  const s = String(pub).padStart(4, '0') + ' ' + String(serial).padStart(12, '0') + ' ' + ts.toFixed(4).padStart(23, '0') + ' ';
  buf.latin1Write(s, off, s.length);
  return s.length;
}

export function padTemplate(buf, off) {
  buf.latin1Write(PAD, off, BODY_LEN);
}

/** Decimal digits in buf[s, e) as a number; NaN if any byte is not a digit. */
function digits(buf, s, e) {
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Parse a body at buf[s, e) straight from the bytes (no strings). Returns false
 * when it is not one of ours. ts = integer ms + the 4 decimals / 1e4 (within
 * 1 ulp of parseFloat of the same text).
 */
export function readBody(buf, s, e, out) {
  if (e - s !== BODY_LEN || buf[s + 4] !== 0x20 || buf[s + 17] !== 0x20 || buf[s + 36] !== 0x2e) return false;
  out.pub = digits(buf, s, s + 4);
  out.serial = digits(buf, s + 5, s + 17);
  out.ts = digits(buf, s + 18, s + 36) + digits(buf, s + 37, s + 41) / 1e4;
  return out.pub === out.pub && out.serial === out.serial && out.ts === out.ts; // no NaN
}

// ---- latency histogram ------------------------------------------------------
// 10 µs buckets up to 100 ms, then 1 ms buckets up to 60 s, then one overflow.
const FINE = 10000; // buckets of 0.01 ms -> 100 ms
const COARSE = 59900; // buckets of 1 ms -> 60 s
export class Histogram {
  constructor() {
    this.counts = new Float64Array(FINE + COARSE + 1);
    this.n = 0;
    this.max = 0;
    this.sum = 0;
  }

  record(ms) {
    if (ms < 0) ms = 0; // clock skew between threads is sub-µs; clamp anyway
    let i;
    if (ms < 100) i = Math.floor(ms * 100);
    else i = Math.min(FINE + Math.floor(ms - 100), FINE + COARSE);
    this.counts[i]++;
    this.n++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  merge(other) {
    const c = other.counts;
    for (let i = 0; i < c.length; i++) if (c[i]) this.counts[i] += c[i];
    this.n += other.n;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** Upper edge of the bucket holding quantile q (0..1), in ms. */
  quantile(q) {
    if (this.n === 0) return null;
    const target = Math.max(1, Math.ceil(q * this.n));
    let acc = 0;
    for (let i = 0; i < this.counts.length; i++) {
      acc += this.counts[i];
      if (acc >= target) {
        const edge = i < FINE ? (i + 1) / 100 : 100 + (i - FINE + 1);
        return Math.min(edge, this.max);
      }
    }
    return this.max;
  }

  summary() {
    return {
      count: this.n,
      mean: this.n ? this.sum / this.n : null,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      p999: this.quantile(0.999),
      max: this.n ? this.max : null,
    };
  }
}

/** Rebuild a Histogram from its structured-clone (postMessage) form. */
export function histogramFrom(obj) {
  const h = new Histogram();
  h.counts = obj.counts;
  h.n = obj.n;
  h.max = obj.max;
  h.sum = obj.sum;
  return h;
}

// ---- ordering / loss / duplicates ------------------------------------------
/** Tracks one (subscriber, publisher) stream. Serials start at 0. */
export class SeqTracker {
  constructor() {
    this.seen = new Uint8Array(1024);
    this.unique = 0;
    this.received = 0;
    this.duplicates = 0;
    this.outOfOrder = 0;
    this.maxSerial = -1;
  }

  add(serial) {
    this.received++;
    const byte = serial >>> 3;
    if (byte >= this.seen.length) {
      let n = this.seen.length;
      while (n <= byte) n *= 2;
      const next = new Uint8Array(n);
      next.set(this.seen);
      this.seen = next;
    }
    const bit = 1 << (serial & 7);
    if (this.seen[byte] & bit) { this.duplicates++; return; }
    this.seen[byte] |= bit;
    this.unique++;
    if (serial < this.maxSerial) this.outOfOrder++; // arrived after a later one
    else this.maxSerial = serial;
  }

  /** Lost = published but never received (serials 0..sent-1). */
  lost(sent) {
    return Math.max(0, sent - this.unique);
  }
}

// ---- broker process sampling -----------------------------------------------
const CLK_TCK = 100; // USER_HZ on Linux; fixed at 100 on all mainstream kernels

/** utime+stime of pid and all its threads, in µs. */
export function cpuMicros(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields after "pid (comm) ": state=0 ... utime=11 stime=12
  const ticks = Number(rest[11]) + Number(rest[12]);
  return (ticks * 1e6) / CLK_TCK;
}

/** Busy CPU time of the whole machine (all cores), in µs, from /proc/stat. */
export function systemBusyMicros() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]; // "cpu  user nice system idle iowait irq softirq steal ..."
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  return ((f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) * 1e6) / CLK_TCK;
}

/** VmRSS of pid in KiB. */
export function rssKiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return m ? Number(m[1]) : null;
}

export function round(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return x ?? null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
