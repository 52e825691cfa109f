// What Stage 10's verifiers read and build: cgroup2 files (cgroups(7), the kernel's
// admin-guide/cgroup-v2), cgroups of the verifier's own for processes it controls, and a loop
// device to throttle. Everything made here is removed at cleanup (and the host guard removes
// any cgroup made during a check, see cgroup-guard.ts).
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroup2Mount, ProcessJail } from '../jail.ts';
import { descendants } from '../proc.ts';
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
    return line ? join(cgroupMount(), line.slice(3)).replace(/(.)\/$/, '$1') : null; // the root: the mount itself, no '/'
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
  if (opts.enableForChildren?.length) enableControllers(path, opts.enableForChildren);
  const into = new ProcessJail(path); // only for its wrap(): the cgroup is removed above, at cleanup
  return {
    path,
    rel: shortCgroup(path),
    start: (file, args) => {
      const argv = into.wrap(file, args);
      return t.background(argv.file, argv.args);
    },
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

/** The records of the kernel's log buffer (/dev/kmsg): sequence number and first line each; [] if unreadable. */
function kernelRecords(): { seq: number; text: string }[] {
  let fd: number;
  try {
    fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return []; // no CAP_SYSLOG, or no such device
  }
  const out: { seq: number; text: string }[] = [];
  const buf = Buffer.alloc(16 * 1024); // one record per read(2), at most ~8 KiB
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EPIPE') continue; // overwritten while we read: go on
        break; // EAGAIN: the end of the buffer
      }
      // "<prio>,<seq>,<usec>,<flags>[,…];<text>\n[ KEY=value continuation lines]"
      const rec = buf.toString('utf8', 0, n);
      const semi = rec.indexOf(';');
      out.push({ seq: Number(rec.slice(0, semi).split(',')[1]), text: rec.slice(semi + 1).split('\n')[0] ?? '' });
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/**
 * The kernel's log from now on: the returned function gives the messages logged since this
 * call, oldest first (printk records of /dev/kmsg, as dmesg(1) shows them). The OOM killer
 * names its victims there. [] where the log cannot be read.
 */
export function kernelLogFrom(): () => string[] {
  const before = kernelRecords();
  const last = before.length ? before[before.length - 1]!.seq : -1;
  return () => kernelRecords().filter((r) => r.seq > last).map((r) => r.text);
}

/**
 * An OOM killer's "Killed process" line parsed: the victim, and whether it was the memory
 * cgroup's OOM killer ("Memory cgroup out of memory: Killed process 1234 (tail) total-vm:…")
 * rather than the whole machine's ("Out of memory: Killed process …"). null for other lines.
 */
export function oomKilled(line: string): { pid: number; comm: string; memcg: boolean } | null {
  const m = /^(Memory cgroup out of memory|Out of memory[^:]*): Killed process (\d+) \((.*)\) total-vm/.exec(line);
  return m ? { pid: Number(m[2]), comm: m[3]!, memcg: m[1] === 'Memory cgroup out of memory' } : null;
}

/**
 * The cgroup a learner's program put its command in: the first one, among the cgroups of the
 * program and its descendants, that is not the root, not a jail (/luxlab/…, where the program
 * itself runs) and not in `before` (listCgroups() taken before the program started). Absolute,
 * no trailing '/'. Waits for it; undefined if the program ends first or the time runs out.
 */
export async function newCgroupIn(t: CheckContext, started: Started, before: Set<string>, timeoutMs = 5000): Promise<string | undefined> {
  const mount = cgroupMount();
  const fresh = (pid: number): string | undefined => {
    const path = cgroupOf(pid)?.replace(/\/$/, '');
    const rel = path?.slice(mount.length + 1);
    return path && rel && rel !== 'luxlab' && !rel.startsWith('luxlab/') && !before.has(rel) ? path : undefined;
  };
  return t.waitFor(() => {
    for (const pid of [started.pid, ...descendants(started.pid)]) {
      const path = fresh(pid);
      if (path) return path;
    }
    return undefined;
  }, timeoutMs, started);
}

/**
 * A loop device whose sparse file carries an MBR partition table with one partition (from its
 * second MiB to the end), attached with --partscan so the kernel makes the partition's node:
 * for a check that needs a partition. The table is written here, no sfdisk needed. The file is
 * in the check's scratch folder; the device is detached at cleanup.
 */
export async function partitionedLoopDevice(t: CheckContext, sizeMb = 16): Promise<{ dev: string; part: string; partMajMin: string; file: string }> {
  const file = join(t.tmp, `${t.name('pdisk')}.img`);
  const mbr = Buffer.alloc(512);
  const entry = 446; // the first of four 16-byte partition entries
  mbr[entry + 4] = 0x83; // type: Linux (status and CHS fields stay 0: the kernel reads the LBA ones)
  mbr.writeUInt32LE(2048, entry + 8); // first sector (512-byte sectors)
  mbr.writeUInt32LE(sizeMb * 2048 - 2048, entry + 12); // number of sectors
  mbr[510] = 0x55; // the boot signature that makes it a partition table
  mbr[511] = 0xaa;
  writeFileSync(file, mbr);
  await t.sh('truncate', ['-s', `${sizeMb}M`, file]);
  const dev = (await t.sh('losetup', ['--find', '--show', '--partscan', file])).stdout.trim();
  t.defer(() => t.sh('losetup', ['-d', dev], { allowFail: true }));
  const part = `${dev}p1`;
  const seen = await t.waitFor(() => existsSync(part) && existsSync(`/sys/class/block/${part.slice(5)}/dev`), 5000);
  if (!seen) throw new Error(`setup: losetup --partscan made no ${part}`);
  return { dev, part, partMajMin: majorMinor(part), file };
}
