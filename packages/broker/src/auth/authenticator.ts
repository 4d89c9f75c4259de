/**
 * The one place where a login is checked. With no users configured the broker is
 * open (anonymous), as a fresh RabbitMQ is to guest on loopback; with users, every
 * CONNECT must carry a matching login and passcode. Comparison is constant-time so
 * that response timing does not reveal how much of a passcode was right.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { UserCredential } from '../config.js';

export interface AuthResult {
  ok: boolean;
  /** The authenticated login, or undefined for anonymous access. */
  user?: string;
}

export class Authenticator {
  private readonly users = new Map<string, Buffer>();

  constructor(users: readonly UserCredential[]) {
    for (const u of users) this.users.set(u.login, digest(u.passcode));
  }

  get anonymous(): boolean {
    return this.users.size === 0;
  }

  check(login: string | undefined, passcode: string | undefined): AuthResult {
    if (this.users.size === 0) return { ok: true, user: login };
    if (login === undefined) return { ok: false };
    const want = this.users.get(login);
    const got = digest(passcode ?? '');
    if (want === undefined) {
      timingSafeEqual(got, got); // same work as a real comparison
      return { ok: false };
    }
    return timingSafeEqual(want, got) ? { ok: true, user: login } : { ok: false };
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
