// What Stage 10's verifiers read and build: cgroup2 files (cgroups(7), the kernel's
// admin-guide/cgroup-v2), cgroups of the verifier's own for processes it controls, and a loop
// device to throttle. Everything made here is removed at cleanup (and the host guard removes
// any cgroup made during a check, see cgroup-guard.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroup2Mount } from '../jail.ts';
import type { Started } from '../exec.ts';
import type { CheckContext } from './context.ts';
import { killAndRemoveCgroup } from './cgroup-guard.ts';

/** The cgroup2 mount point (from mountinfo: /sys/fs/cgroup in the VM, /sys/fs/cgroup/unified on a hybrid host). */
export function cgroupMount(): string {
  const m = cgroup2Mount();
  if (!m) throw new Error('no cgroup2 mount in /proc/self/mountinfo');
  return m;
}

/** The absolute path of a process's cgroup (from its /proc/<pid>/cgroup "0::" line), or null if it is gone. */
export function cgroupOf(pid: number): string | null {
  try {
    const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    return line ? join(cgroupMount(), line.slice(3)) : null;
  } catch {
    return null;
  }
}

/** A path relative to the mount, for messages ("/cgroup-cpu-123"). */
export function shortCgroup(path: string | null): string {
  if (!path) return '(none)';
  const rel = path.slice(cgroupMount().length);
  return rel || '/';
}

/** One interface file, trimmed; null when it does not exist (no such controller, cgroup gone). */
export function readCgroupFile(path: string, file: string): string | null {
  try {
    return readFileSync(join(path, file), 'utf8').trim();
  } catch {
    return null;
  }
}

/** A flat-keyed file (cpu.stat, memory.events, pids.events, cgroup.events) as numbers; {} when missing. */
export function keyedFile(path: string, file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (readCgroupFile(path, file) ?? '').split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

/** The PIDs in cgroup.procs of this cgroup (not its children). */
export function cgroupPids(path: string): number[] {
  return (readCgroupFile(path, 'cgroup.procs') ?? '').split('\n').filter(Boolean).map(Number);
}

export interface VerifierCgroup {
  /** Absolute path. */
  path: string;
  /** Relative to the mount, as a learner's program would be told ("/lxcg1a2b3c"). */
  rel: string;
  /** Start a standard tool inside this cgroup (it moves itself in before exec: nothing escapes). */
  start(file: string, args: string[]): Started;
}

/**
 * A cgroup of the verifier's own, under `parent` (default: the mount's root), with the named
 * controllers enabled for its children when asked. Emptied and removed at cleanup.
 */
export function verifierCgroup(t: CheckContext, opts: { parent?: string; name?: string; enableForChildren?: string[] } = {}): VerifierCgroup {
  const parent = opts.parent ?? cgroupMount();
  const path = join(parent, opts.name ?? t.name('lxcg'));
  mkdirSync(path);
  t.defer(() => void killAndRemoveCgroup(path));
  if (opts.enableForChildren?.length) writeFileSync(join(path, 'cgroup.subtree_control'), opts.enableForChildren.map((c) => `+${c}`).join(' '));
  return {
    path,
    rel: shortCgroup(path),
    start: (file, args) => t.background('/bin/sh', ['-c', 'echo 0 > "$0/cgroup.procs" && exec "$@"', path, file, ...args]),
  };
}

/** Enable controllers in a cgroup's cgroup.subtree_control (those already enabled are fine). */
export function enableControllers(path: string, controllers: string[]): void {
  writeFileSync(join(path, 'cgroup.subtree_control'), controllers.map((c) => `+${c}`).join(' '));
}

/** The cgroup a process was moved into by someone else (its first cgroup other than `from`), waiting for it. */
export async function waitForMove(t: CheckContext, pid: number, from: string | null, timeoutMs = 3000, unlessExited?: Started): Promise<string | undefined> {
  return t.waitFor(() => {
    const now = cgroupOf(pid);
    return now !== null && now !== from ? now : undefined;
  }, timeoutMs, unlessExited);
}

/** "MAJ:MIN" of a block device node. */
export function majorMinor(dev: string): string {
  return readFileSync(`/sys/class/block/${dev.replace(/^\/dev\//, '')}/dev`, 'utf8').trim();
}

/**
 * A loop device over a sparse file in the check's scratch folder, with direct I/O, detached at
 * cleanup. Returns its node ("/dev/loop3") and "MAJ:MIN".
 */
export async function loopDevice(t: CheckContext, sizeMb = 64): Promise<{ dev: string; majMin: string; file: string }> {
  const file = join(t.tmp, `${t.name('disk')}.img`);
  await t.sh('truncate', ['-s', `${sizeMb}M`, file]);
  const dev = (await t.sh('losetup', ['--find', '--show', '--direct-io=on', file])).stdout.trim();
  t.defer(() => t.sh('losetup', ['-d', dev], { allowFail: true }));
  return { dev, majMin: majorMinor(dev), file };
}

/** Whether this cgroup2 mount has the controller in its root's cgroup.controllers. */
export function hasController(controller: string): boolean {
  const m = cgroup2Mount();
  return !!m && existsSync(join(m, 'cgroup.controllers')) && (readCgroupFile(m, 'cgroup.controllers') ?? '').split(' ').includes(controller);
}

/**
 * What /proc/<pid>/stat says about a process's CPU: its state letter (R running, S sleeping, T
 * stopped…) and the CPU time it has used, user and system, in clock ticks (proc(5), fields 3,
 * 14, 15). null once it is gone. Parsed after the last ')': comm may hold spaces and parentheses.
 */
export function procCpu(pid: number): { state: string; utime: number; stime: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: f[0] ?? '?', utime: Number(f[11]), stime: Number(f[12]) };
  } catch {
    return null;
  }
}
