/**
 * One broker per data directory. LMDB itself lets several processes open one
 * environment, and two brokers on one store would both deliver the same queued
 * messages. A lock file holds the owner's pid; a lock left by a process that no
 * longer runs (a crash, SIGKILL) is taken over, so a restart never needs a clean-up.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, StompboxError } from '../errors.js';

const LOCK = 'stompbox.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dir: string): DataDirLock {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return { release: () => rmSync(file, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new StompboxError(ErrorCodes.BAD_CONFIG, `data directory ${dir} is in use by another Stompbox (pid ${pid})`);
      }
      rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new StompboxError(ErrorCodes.BAD_CONFIG, `cannot lock data directory ${dir}`);
}
