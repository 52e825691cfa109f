// Leave the host as we found it: a picture of the host before a check, compared after the
// verifier's own cleanup. What carries one of the check's names, or sits under its scratch
// folder, is removed; anything else new is reported; a changed hostname, iptables ruleset
// or network sysctl is put back as it was.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { mountinfo } from '../proc.ts';
import { listCgroups, listLoops, restoreCgroups, rootControllers } from './cgroup-guard.ts';

export interface HostState {
  hostname: string;
  netns: string[];
  links: string[];
  mounts: number[]; // mount ids in our mount namespace (ids, not paths: mounts can stack)
  ipc: string[]; // "msg:<id>", "sem:<id>", "shm:<id>"
  iptables: string | null; // iptables-save without counters and comments, null without iptables
  sysctls: Record<string, string>;
  cgroups: string[]; // paths under the cgroup2 mount (the jails excepted)
  loops: string[]; // "/dev/loopN backing-file"
  rootControllers: string[]; // the cgroup2 root's cgroup.subtree_control
}

/** Network sysctls a check may touch (Stage 11 turns on forwarding and route_localnet). */
export const GUARDED_SYSCTLS = [
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/forwarding',
  'net/ipv4/conf/all/route_localnet',
  'net/ipv4/conf/default/route_localnet',
  'net/ipv4/conf/lo/route_localnet',
  'net/bridge/bridge-nf-call-iptables',
];

const NETNS_DIR = '/run/netns';

const quiet = { encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'ignore'] as ('ignore' | 'pipe')[] };

function readSysctls(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of GUARDED_SYSCTLS) {
    try {
      out[k] = readFileSync(`/proc/sys/${k}`, 'utf8').trim();
    } catch {
      /* not on this kernel (br_netfilter not loaded) */
    }
  }
  return out;
}

/** iptables-save output split by table ("nat" -> its lines, counters zeroed, comments gone). */
function iptablesTables(): Map<string, string[]> | null {
  let dump: string;
  try {
    dump = execFileSync('iptables-save', [], quiet);
  } catch {
    return null;
  }
  const tables = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of dump.split('\n')) {
    if (line.startsWith('*')) tables.set(line.slice(1), (current = []));
    else if (line === 'COMMIT') current = null;
    else if (current && line && !line.startsWith('#')) current.push(line.replace(/\[\d+:\d+\]$/, '[0:0]'));
  }
  // A table with no rules, no chains of its own and every policy ACCEPT is no table at all
  // (the nf_tables backend keeps an emptied table around).
  for (const [name, lines] of tables) {
    if (lines.every((l) => /^:\S+ ACCEPT \[0:0\]$/.test(l))) tables.delete(name);
  }
  return tables;
}

function iptablesRules(): string | null {
  const t = iptablesTables();
  return t === null ? null : [...t].map(([name, lines]) => `*${name}\n${lines.join('\n')}\nCOMMIT`).join('\n');
}

/** iptables-restore input that brings every table now present back to its state before. */
function restoreInput(before: string): string {
  const now = iptablesTables() ?? new Map<string, string[]>();
  const parts = before ? [before] : [];
  const named = new Set([...before.matchAll(/^\*(\S+)$/gm)].map((m) => m[1]));
  for (const [name, lines] of now) {
    if (named.has(name)) continue;
    const builtins = lines.filter((l) => /^:\S+ (ACCEPT|DROP)/.test(l)).map((l) => l.replace(/^(:\S+) \S+/, '$1 ACCEPT'));
    parts.push(`*${name}\n${builtins.join('\n')}\nCOMMIT`); // flushed, chains of its own deleted
  }
  return `${parts.join('\n')}\n`;
}

export function hostState(): HostState {
  return {
    hostname: hostname(),
    netns: listNetns(),
    links: listLinks(),
    mounts: mountinfo('self').map((m) => m.id),
    ipc: listIpc(),
    iptables: iptablesRules(),
    sysctls: readSysctls(),
    cgroups: listCgroups(),
    loops: listLoops(),
    rootControllers: rootControllers(),
  };
}

function listNetns(): string[] {
  try {
    return execFileSync('ip', ['netns', 'list'], quiet)
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter(Boolean);
  } catch {
    return [];
  }
}

function listLinks(): string[] {
  try {
    return (JSON.parse(execFileSync('ip', ['-json', 'link', 'show'], quiet)) as { ifname: string }[]).map((l) => l.ifname);
  } catch {
    return [];
  }
}

function listIpc(): string[] {
  const out: string[] = [];
  for (const kind of ['msg', 'sem', 'shm']) {
    try {
      const lines = readFileSync(`/proc/sysvipc/${kind}`, 'utf8').trim().split('\n').slice(1);
      // Columns: key id ... (proc(5)); the id is what ipcrm takes.
      for (const l of lines) out.push(`${kind}:${l.trim().split(/\s+/)[1]}`);
    } catch {
      /* no SysV IPC */
    }
  }
  return out;
}

export interface GuardReport {
  swept: string[];
  leaked: string[];
  hostnameChangedTo: string | null;
}

/** Compare with `before`, clean what is ours, and restore the hostname. */
export function restoreHost(before: HostState, ours: { names: string[]; tmp: string }): GuardReport {
  const swept: string[] = [];
  const leaked: string[] = [];
  const isOurs = (n: string) => ours.names.some((o) => n.includes(o));
  const tryRun = (file: string, args: string[]) => {
    try {
      execFileSync(file, args, quiet);
      return true;
    } catch {
      return false;
    }
  };

  let hostnameChangedTo: string | null = null;
  if (hostname() !== before.hostname) {
    hostnameChangedTo = hostname();
    tryRun('hostname', [before.hostname]);
    swept.push(`hostname restored to ${before.hostname} (was changed to ${hostnameChangedTo})`);
  }

  // Cgroups first: killing what a learner's program left in them frees its namespaces and mounts.
  // Older saved states (a lab upgraded mid-check) have no cgroup picture: nothing to compare.
  if (before.cgroups) {
    const cg = restoreCgroups({ cgroups: before.cgroups, loops: before.loops ?? [], rootControllers: before.rootControllers }, isOurs);
    swept.push(...cg.swept);
    leaked.push(...cg.leaked);
  }

  // Mounts first, deepest first: a netns file or the scratch folder may be under one.
  const mountsBefore = new Set(before.mounts);
  const added = mountinfo('self')
    .filter((m) => !mountsBefore.has(m.id))
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length || b.id - a.id);
  for (const m of added) {
    const p = m.mountPoint;
    if (p.startsWith(ours.tmp) || isOurs(p)) {
      if (tryRun('umount', ['-l', p])) swept.push(`mount ${p}`);
      else leaked.push(`mount ${p}`);
    } else if (p === NETNS_DIR) {
      // `ip netns add` makes /run/netns a shared bind mount of itself and leaves it after the
      // last namespace is gone. Not lazily: while it still holds a namespace it stays (EBUSY).
      if (tryRun('umount', [p])) swept.push(`mount ${p} (left by ip netns)`);
    } else leaked.push(`mount ${p}`);
  }

  for (const n of listNetns().filter((n) => !before.netns.includes(n))) {
    if (isOurs(n) && tryRun('ip', ['netns', 'delete', n])) swept.push(`netns ${n}`);
    else leaked.push(`netns ${n}`);
  }
  for (const l of listLinks().filter((l) => !before.links.includes(l))) {
    if (isOurs(l) && tryRun('ip', ['link', 'delete', l])) swept.push(`link ${l}`);
    else leaked.push(`link ${l}`);
  }
  // SysV IPC objects in the host namespace made during a check are the check's (the verifier
  // removes its own; a learner's program without an IPC namespace leaves them here).
  for (const obj of listIpc().filter((o) => !before.ipc.includes(o))) {
    const [kind, id] = obj.split(':') as [string, string];
    const flag = { msg: '-q', sem: '-s', shm: '-m' }[kind] ?? '-q';
    if (tryRun('ipcrm', [flag, id])) swept.push(`ipc ${obj}`);
    else leaked.push(`ipc ${obj}`);
  }
  // Rules and sysctls are host-wide state no learner's work in a terminal should depend on
  // across a check: put them back exactly.
  if (before.iptables !== null && iptablesRules() !== before.iptables) {
    try {
      execFileSync('iptables-restore', [], { input: restoreInput(before.iptables), stdio: ['pipe', 'ignore', 'pipe'] });
      swept.push('iptables rules restored to what they were before the check');
    } catch (err) {
      leaked.push(`iptables rules (restore failed: ${(err as Error).message.split('\n')[0]})`);
    }
  }
  const sysctlsNow = readSysctls();
  for (const [k, v] of Object.entries(before.sysctls)) {
    if (sysctlsNow[k] === v) continue;
    try {
      writeFileSync(`/proc/sys/${k}`, v);
      swept.push(`sysctl ${k.replace(/\//g, '.')} restored to ${v} (was ${sysctlsNow[k]})`);
    } catch {
      leaked.push(`sysctl ${k.replace(/\//g, '.')} = ${sysctlsNow[k]} (was ${v})`);
    }
  }
  return { swept, leaked, hostnameChangedTo };
}
