// Raising the open-files limit of the benchmark process (brokers it spawns inherit it).
import { execFileSync } from 'node:child_process';

/** Make sure this process (and the brokers it spawns) may open enough sockets. */
export function raiseFdLimit(want = 65536) {
  const read = () => {
    const out = execFileSync('prlimit', ['--pid', String(process.pid), '--nofile', '--raw', '--noheadings', '--output', 'SOFT,HARD'], { encoding: 'utf8', stdio: 'pipe' });
    const [soft, hard] = out.trim().split(/\s+/).map((x) => (x === 'unlimited' ? Infinity : Number(x)));
    return { soft, hard };
  };
  try {
    let { soft, hard } = read();
    if (soft >= want) return soft;
    try {
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${want}:${Math.max(want, hard)}`], { stdio: 'pipe' });
    } catch {
      // no CAP_SYS_RESOURCE (containers): go as far as the hard limit allows
      if (hard > soft) execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${hard}:${hard}`], { stdio: 'pipe' });
    }
    ({ soft } = read());
    return soft;
  } catch (e) {
    console.warn(`warning: could not read/raise the fd limit with prlimit (${e.message.split('\n')[0]}); run under \`ulimit -n 65536\``);
    return null;
  }
}
