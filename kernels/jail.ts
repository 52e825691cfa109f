// A cgroup that holds everything a learner's program starts, so that all of it can be
// killed at once — double forks, setsid, a new PID namespace — with cgroup.kill.
// Falls back to killing the process group where no cgroup2 mount is writable.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive as alive } from './proc.ts';

/** The cgroup2 mount of this machine, from /proc/self/mountinfo (the host is a v1/v2 hybrid). */
export function cgroup2Mount(): string | null {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    if (right.startsWith('cgroup2 ')) return left.split(' ')[4] ?? null;
  }
  return null;
}

let counter = 0;
let reaped = false;


/**
 * Jails are named <label>-<owner pid>-<n>. A lab process that was killed (SIGKILL, a crash)
 * could not empty its jails: the next one to start kills what is left in them and removes them.
 */
async function reapOrphans(parent: string): Promise<void> {
  let names: string[] = [];
  try {
    names = readdirSync(parent, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return;
  }
  for (const name of names) {
    const owner = Number(/-(\d+)-\d+$/.exec(name)?.[1]);
    if (!Number.isFinite(owner) || owner === process.pid || alive(owner)) continue;
    await new ProcessJail(join(parent, name)).destroy();
  }
}

export class ProcessJail {
  /** Absolute path of the cgroup, or null when processes are tracked by process group only. */
  readonly path: string | null;

  constructor(path: string | null) {
    this.path = path;
  }

  static create(label: string): ProcessJail {
    const mount = cgroup2Mount();
    if (!mount || process.getuid?.() !== 0) return new ProcessJail(null);
    const parent = join(mount, 'luxlab');
    if (!reaped) {
      reaped = true;
      void reapOrphans(parent);
    }
    const path = join(parent, `${label}-${process.pid}-${++counter}`);
    try {
      mkdirSync(path, { recursive: true });
      return new ProcessJail(path);
    } catch {
      return new ProcessJail(null);
    }
  }

  /** argv that moves itself into the jail, then execs the command (no fork escapes the move). */
  wrap(file: string, args: string[]): { file: string; args: string[] } {
    if (!this.path) return { file, args };
    const script = 'echo 0 > "$0/cgroup.procs" && exec "$@"';
    return { file: '/bin/sh', args: ['-c', script, this.path, file, ...args] };
  }

  pids(): number[] {
    if (!this.path) return [];
    try {
      return readFileSync(join(this.path, 'cgroup.procs'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  }

  /** Kill everything in the jail (and the given process group), wait for it, remove the cgroup. */
  async destroy(processGroup?: number): Promise<void> {
    if (processGroup) {
      try {
        process.kill(-processGroup, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    if (!this.path || !existsSync(this.path)) return;
    for (let i = 0; i < 100; i++) {
      const pids = this.pids();
      if (pids.length === 0) break;
      try {
        writeFileSync(join(this.path, 'cgroup.kill'), '1');
      } catch {
        // cgroup.kill needs Linux 5.14; kill one by one before that.
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
      await sleep(20);
    }
    removeCgroupTree(this.path);
    try {
      rmdirSync(dirname(this.path)); // the shared parent, once the last jail is gone
    } catch {
      /* other jails still live */
    }
  }
}

/** rmdir a cgroup and any children a program made inside it (deepest first). */
export function removeCgroupTree(path: string): void {
  try {
    for (const d of readdirSync(path, { withFileTypes: true })) {
      if (d.isDirectory()) removeCgroupTree(join(path, d.name));
    }
    rmdirSync(path);
  } catch {
    /* busy or gone: the leak check of the tests will say so */
  }
}

