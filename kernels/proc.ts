// Read the kernel's view of processes from /proc: namespaces, mounts, status, children.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { NsType } from '../common/diagram.ts';

/** Inode of a process's namespace, from the /proc/<pid>/ns/<type> link ("net:[4026531840]"). */
export function nsInode(pid: number | 'self', type: NsType): number | null {
  try {
    const m = /\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${type}`));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export interface MountEntry {
  id: number;
  parent: number;
  root: string;
  mountPoint: string;
  options: string;
  /** Optional fields: "shared:12", "master:3", "propagate_from:2", "unbindable". */
  propagation: string[];
  fsType: string;
  source: string;
}

/** Parse /proc/<pid>/mountinfo (proc(5)). Octal escapes in paths (\040 for space) are decoded. */
export function mountinfo(pid: number | 'self' = 'self'): MountEntry[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: MountEntry[] = [];
  for (const line of readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const [fsType = '', source = ''] = right.split(' ');
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      root: unescape(f[3] ?? ''),
      mountPoint: unescape(f[4] ?? ''),
      options: f[5] ?? '',
      propagation: f.slice(6),
      fsType,
      source: unescape(source),
    });
  }
  return out;
}

/** Every mount whose mount point is path (stacked, or copies propagated to stacked parents). */
export function mountsAt(path: string, pid: number | 'self' = 'self'): MountEntry[] {
  return mountinfo(pid).filter((m) => m.mountPoint === path);
}

/** The mount on top of a stack at path: the one no other mount at path is mounted on. */
export function topAt(path: string, pid: number | 'self' = 'self'): MountEntry | undefined {
  const at = mountsAt(path, pid);
  return at.filter((m) => !at.some((o) => o.parent === m.id)).pop();
}

/** /proc/<pid>/status as a map ("Uid" -> "0\t0\t0\t0"). */
export function procStatus(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

export function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** Every process the lab's /proc lists (the whole host, seen from here). */
export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** Does a process exist (signal 0 probes without sending anything)? */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Direct children, from /proc/<pid>/task/<tid>/children (needs CONFIG_PROC_CHILDREN). */
export function children(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    /* exited */
  }
  return out;
}

export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of children(queue.shift()!)) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/**
 * The first process called name (its comm) among pid and its descendants: how a check finds
 * the command a learner's program started, whether it was exec'd in place or forked.
 */
export function findInTree(pid: number, name: string): number | undefined {
  return [pid, ...descendants(pid)].find((p) => comm(p) === name);
}

/**
 * The host's namespace of a type: the lab's own. (PID 1's would do on a normal machine, but
 * its /proc/1/ns links can be unreadable to us, e.g. under a sandbox init with more capabilities.)
 */
export function hostNs(type: NsType): number | null {
  return nsInode('self', type);
}

/** The innermost PID of a process in its own PID namespace (NSpid's last field). */
export function nsPid(pid: number): number | null {
  const f = procStatus(pid)['NSpid']?.split(/\s+/);
  return f?.length ? Number(f[f.length - 1]) : null;
}

/** Every process in PID namespace ns, numbered as inside it (the last field of NSpid). */
export function namespaceMembers(ns: number): number[] {
  return allPids()
    .filter((p) => nsInode(p, 'pid') === ns)
    .map((p) => nsPid(p) ?? -1)
    .sort((a, b) => a - b);
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}
