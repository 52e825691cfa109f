// One check at a time on this kernel, across processes (the lab server and `lux check`):
// checks share namespaces, links and the hostname, so two at once would see each other.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive as alive } from '../proc.ts';

export const LOCK_DIR = process.env.LUX_LOCK_DIR ?? '/run/luxlab-check.lock';

/** The host's state before the check that holds the lock: what to restore if its process dies. */
export const SAVED_HOST_STATE = `${LOCK_DIR}/host-before.json`;
let tail: Promise<unknown> = Promise.resolve();


async function acquire(onWait: () => void, onStale: (savedState: string | null) => void): Promise<void> {
  let told = false;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(`${LOCK_DIR}/pid`, String(process.pid));
      return;
    } catch {
      let owner = NaN;
      try {
        owner = Number(readFileSync(`${LOCK_DIR}/pid`, 'utf8'));
      } catch {
        /* being created right now */
      }
      if (Number.isFinite(owner) && !alive(owner)) {
        // Left by a process that died mid-check: put the host back as that check found it.
        let saved: string | null = null;
        try {
          saved = readFileSync(SAVED_HOST_STATE, 'utf8');
        } catch {
          /* it died before saving */
        }
        onStale(saved);
        rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (!told) {
        onWait();
        told = true;
      }
      await sleep(100);
    }
  }
}

/** Run fn holding the check lock; queued behind checks of this process and others. */
export function withCheckLock<T>(fn: () => Promise<T>, onWait: () => void = () => {}, onStale: (savedState: string | null) => void = () => {}): Promise<T> {
  const next = tail.then(async () => {
    await acquire(onWait, onStale);
    try {
      return await fn();
    } finally {
      rmSync(LOCK_DIR, { recursive: true, force: true });
    }
  });
  tail = next.catch(() => {});
  return next;
}

/** Is a check running on this kernel now (this process or another)? For probes that would rather not disturb it. */
export function checkRunning(): boolean {
  try {
    const owner = Number(readFileSync(`${LOCK_DIR}/pid`, 'utf8'));
    return !Number.isFinite(owner) || alive(owner);
  } catch {
    return false;
  }
}
