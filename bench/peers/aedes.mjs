// Aedes (npm `aedes`, a devDependency) in a child process of its own, so its CPU and
// memory are measured apart from the load generator's. Stopped by pid.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, killTree } from './rabbitmq.mjs';

const SERVER = fileURLToPath(new URL('./aedes-server.mjs', import.meta.url));

export async function startAedes({ startTimeoutMs = 15000, log = false } = {}) {
  const port = await freePort();
  // Same young-generation size as Stompbox's CLI: a like-for-like Node process.
  const child = spawn(process.execPath, ['--max-semi-space-size=4', SERVER, String(port)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  let exited = null;
  child.once('exit', (code, sig) => { exited = { code, sig }; });
  child.stderr.on('data', (d) => { output += d; if (log) process.stderr.write(d); });
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`aedes did not start: ${output}`)), startTimeoutMs);
    child.stdout.on('data', (d) => {
      output += d;
      if (String(d).includes('listening')) { clearTimeout(t); resolve(); }
    });
    child.once('exit', () => { clearTimeout(t); reject(new Error(`aedes exited: ${output}`)); });
  });
  child.stdout.resume();
  const stop = async () => {
    if (child.pid && exited === null) await killTree(child.pid, 3000);
  };
  return { name: 'aedes', mqttPort: port, pid: child.pid, stop };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const a = await startAedes({ log: true });
  console.log(JSON.stringify({ mqttPort: a.mqttPort, pid: a.pid }));
  await a.stop();
  console.log('stopped');
}
