// The probe behind the cgroup tree diagram (Stage 10): the cgroup2 hierarchy under one root,
// read from its interface files (the kernel's admin-guide/cgroup-v2). The mount comes from
// /proc/self/mountinfo: /sys/fs/cgroup on a unified system, /sys/fs/cgroup/unified on a v1/v2
// hybrid, where the controllers live on v1 and the cgroups here have none.
//
// Bounded: at most maxNodes cgroups (a systemd host has hundreds under system.slice), the
// focus paths and their ancestors first (always shown), then the cgroups under a focus, then
// the rest breadth-first — so what a challenge made survives the cut. A cgroup that vanishes
// mid-probe is left out; a file that does not exist (no such controller here) is no gauge.
//
// The files are read synchronously — a dozen tiny kernel files per cgroup, ten times faster
// than fs/promises (a thread-pool round trip per open, read and close) — a few cgroups at a
// time, yielding to the event loop between, so a poll never stalls the terminals for long.
import { readdirSync, readFileSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { CgroupCpu, CgroupMemory, CgroupNode, CgroupPids, CgroupProcess, CgroupSnapshot } from '../../common/diagram.ts';
import { cgroup2Mount } from '../jail.ts';

export const DEFAULT_MAX_NODES = 300;
const DEFAULT_MAX_DEPTH = 32;
const MAX_PROCS = 5; // processes named per cgroup; nrProcs is the real count
const MAX_IO_LINES = 16;
const PER_TURN = 16; // cgroups read before letting the event loop run

export interface CgroupProbeOptions {
  /** Where the picture starts: relative to the mount ('/system.slice', as /proc/<pid>/cgroup has it) or absolute under it. */
  root?: string;
  /** Cgroups to highlight, in the same forms; they and their ancestors are never cut. */
  focus?: string[];
  maxNodes?: number;
  /** Levels below the root (focus paths excepted). */
  maxDepth?: number;
  /** A root that does not exist: show its nearest existing ancestor instead of failing (a check's picture). */
  nearestExisting?: boolean;
}

/** A root or focus the probe refuses: no cgroup2 mount, a path outside it, or no such cgroup. */
export class CgroupPathError extends Error {
  constructor(
    readonly reason: 'no-mount' | 'outside' | 'missing',
    message: string,
  ) {
    super(message);
  }
}

/** The cgroup2 mount point, mountinfo's octal escapes (\040…) decoded. */
export function cgroupMountPoint(): string {
  const raw = cgroup2Mount();
  if (!raw) throw new CgroupPathError('no-mount', 'no cgroup2 file system is mounted (/proc/self/mountinfo has none)');
  return raw.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * A path relative to the mount, '/'-prefixed ('/' is the mount itself). Accepts that form,
 * the same without the leading '/', or an absolute path under the mount. '..' is refused
 * (a path must not climb out), and so is an absolute path that names another place of the
 * mount's own tree (/sys/…) — a cgroup path never starts like the mount point unless it is one.
 */
export function cgroupPath(mount: string, p: string): string {
  if (p.includes('\0')) throw new CgroupPathError('outside', 'a cgroup path cannot contain a NUL byte');
  const parts = p.split('/');
  if (parts.includes('..')) throw new CgroupPathError('outside', `"${p}": ".." is not allowed in a cgroup path (it must stay under the cgroup2 mount ${mount})`);
  const clean = '/' + parts.filter((s) => s !== '' && s !== '.').join('/');
  if (clean === mount || clean.startsWith(`${mount}/`)) return clean.slice(mount.length) || '/';
  const first = mount.split('/')[1];
  if (p.startsWith('/') && first && clean.split('/')[1] === first) {
    throw new CgroupPathError('outside', `"${p}" is outside the cgroup2 mount ${mount}: give a path under it, or one relative to it such as /luxlab`);
  }
  return clean;
}

/** unit2 before unit10: how a person reads a list of numbered units. */
const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
const parentOf = (rel: string): string | null => (rel === '/' ? null : rel.slice(0, rel.lastIndexOf('/')) || '/');
const join = (rel: string, name: string) => (rel === '/' ? `/${name}` : `${rel}/${name}`);
/** Is a equal to b or below it? */
const within = (a: string, b: string) => b === '/' || a === b || a.startsWith(`${b}/`);

export async function probeCgroups(opts: CgroupProbeOptions = {}): Promise<CgroupSnapshot> {
  const takenAt = new Date().toISOString();
  const mount = cgroupMountPoint();
  const maxNodes = Math.max(1, opts.maxNodes ?? DEFAULT_MAX_NODES);
  const maxDepth = Math.max(0, opts.maxDepth ?? DEFAULT_MAX_DEPTH);
  const focus = [...new Set((opts.focus ?? []).map((f) => cgroupPath(mount, f)))];
  const abs = (rel: string) => (rel === '/' ? mount : mount + rel);

  let root = cgroupPath(mount, opts.root ?? '/');
  let rootRaw = readRaw(abs(root));
  while (!rootRaw && opts.nearestExisting && root !== '/') {
    root = parentOf(root)!;
    rootRaw = readRaw(abs(root));
  }
  if (!rootRaw) throw new CgroupPathError('missing', `no cgroup ${root} under the cgroup2 mount ${mount}`);

  // Never cut: the root, the focus paths under it, and every cgroup between.
  const must = new Set<string>([root]);
  for (const f of focus) {
    if (!within(f, root)) continue;
    for (let p: string | null = f; p !== null && p !== root; p = parentOf(p)) must.add(p);
  }
  const hot = (rel: string) => focus.some((f) => within(rel, f));

  interface Item {
    rel: string;
    depth: number;
  }
  const raws = new Map<string, Raw>([[root, rootRaw]]);
  const depthOf = new Map<string, number>([[root, 0]]);
  const queues: [Item[], Item[], Item[]] = [[], [], []]; // must, under a focus, the rest
  const enqueue = (rel: string, raw: Raw, depth: number) => {
    for (const name of raw.children) {
      const child = join(rel, name);
      if (must.has(child)) queues[0].push({ rel: child, depth: depth + 1 });
      else if (depth + 1 <= maxDepth) queues[hot(child) ? 1 : 2].push({ rel: child, depth: depth + 1 });
    }
  };
  enqueue(root, rootRaw, 0);
  for (let n = 1; ; n++) {
    const q = queues[0].length ? queues[0] : raws.size < maxNodes ? (queues[1].length ? queues[1] : queues[2]) : null;
    const item = q?.shift();
    if (!item) break;
    const raw = readRaw(abs(item.rel));
    if (raw) {
      raws.set(item.rel, raw);
      depthOf.set(item.rel, item.depth);
      enqueue(item.rel, raw, item.depth);
    } // else: removed while we looked
    if (n % PER_TURN === 0) await yieldToLoop();
  }

  // Depth-first from the root, children by name (readdir order is not sorted).
  const nodes: CgroupNode[] = [];
  const visit = (rel: string, parent: string | null) => {
    const raw = raws.get(rel)!;
    const shown = raw.children.filter((n) => raws.has(join(rel, n)));
    const node = toNode(rel, parent, depthOf.get(rel)!, raw);
    if (shown.length < raw.children.length) node.omittedChildren = raw.children.length - shown.length;
    nodes.push(node);
    for (const n of shown) visit(join(rel, n), rel);
  };
  visit(root, null);
  await nameProcesses(nodes, raws);
  fillPopulated(nodes);
  return {
    takenAt,
    mount,
    root,
    nodes,
    truncated: Math.max(0, rootRaw.descendants + 1 - nodes.length),
    focus,
  };
}

// ---- one cgroup ----------------------------------------------------------------------------

/** The files a node is made of, as read (null: not there). */
interface Raw {
  children: string[];
  files: Map<string, string>;
  pids: number[];
  descendants: number;
}

const FILES = [
  'cgroup.controllers',
  'cgroup.subtree_control',
  'cgroup.events',
  'cgroup.freeze',
  'cgroup.type',
  'cgroup.stat',
  'memory.current',
  'memory.max',
  'memory.peak',
  'memory.events',
  'cpu.stat',
  'cpu.max',
  'pids.current',
  'pids.max',
  'io.max',
];

/** null when the cgroup is not there (never was, or removed mid-read). */
function readRaw(dir: string): Raw | null {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return null;
  }
  const present = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
  if (!present.has('cgroup.procs')) return null; // every cgroup has one: this is none (or it is being removed)
  const children = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort(byName);
  const wanted = FILES.filter((f) => present.has(f));
  const procs = readText(`${dir}/cgroup.procs`);
  if (procs === 'gone') return null;
  const files = new Map<string, string>();
  for (const f of wanted) {
    const t = readText(`${dir}/${f}`);
    if (typeof t === 'string') files.set(f, t);
  }
  const pids = typeof procs === 'string' ? procs.split('\n').filter(Boolean).map(Number).filter(Number.isInteger) : [];
  return { children, files, pids, descendants: keyed(files.get('cgroup.stat'))['nr_descendants'] ?? 0 };
}

/** The file's text; 'gone' when the cgroup was removed under us; null for any other failure (EOPNOTSUPP on a threaded cgroup's procs…). */
function readText(path: string): string | 'gone' | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENODEV' ? 'gone' : null;
  }
}

function toNode(path: string, parent: string | null, depth: number, raw: Raw): CgroupNode {
  const f = raw.files;
  const words = (name: string) => (f.get(name) ?? '').split(/\s+/).filter(Boolean);
  const events = keyed(f.get('cgroup.events'));
  const node: CgroupNode = {
    path,
    parent,
    depth,
    controllers: words('cgroup.controllers'),
    subtreeControl: words('cgroup.subtree_control'),
    nrProcs: raw.pids.length,
    procs: [],
    populated: events['populated'] === 1,
    frozen: events['frozen'] === 1,
    freeze: f.get('cgroup.freeze')?.trim() === '1',
    descendants: raw.descendants,
  };
  const type = f.get('cgroup.type')?.trim();
  if (type && type !== 'domain') node.type = type;
  const memory = memoryGauge(f);
  if (memory) node.memory = memory;
  const cpu = cpuGauge(f);
  if (cpu) node.cpu = cpu;
  const pids = pidsGauge(f);
  if (pids) node.pids = pids;
  const io = f.get('io.max');
  if (io !== undefined) node.ioMax = io.split('\n').filter((l) => l.trim()).slice(0, MAX_IO_LINES);
  return node;
}

function memoryGauge(f: Map<string, string>): CgroupMemory | undefined {
  const current = num(f.get('memory.current'));
  if (current === undefined) return undefined;
  const m: CgroupMemory = { current, max: limit(f.get('memory.max')) };
  const peak = num(f.get('memory.peak'));
  if (peak !== undefined) m.peak = peak;
  const oom = keyed(f.get('memory.events'))['oom_kill'];
  if (oom !== undefined) m.oomKills = oom;
  return m;
}

function cpuGauge(f: Map<string, string>): CgroupCpu | undefined {
  const stat = f.get('cpu.stat');
  if (stat === undefined) return undefined;
  const k = keyed(stat);
  const c: CgroupCpu = { usageUsec: k['usage_usec'] ?? 0 };
  if (k['nr_throttled'] !== undefined) c.nrThrottled = k['nr_throttled'];
  if (k['throttled_usec'] !== undefined) c.throttledUsec = k['throttled_usec'];
  const max = f.get('cpu.max')?.trim().split(/\s+/);
  if (max?.length === 2) {
    c.quotaUsec = limit(max[0]);
    const period = num(max[1]);
    if (period !== undefined) c.periodUsec = period;
  }
  return c;
}

function pidsGauge(f: Map<string, string>): CgroupPids | undefined {
  const current = num(f.get('pids.current'));
  return current === undefined ? undefined : { current, max: limit(f.get('pids.max')) };
}

/** Name the first few processes of every cgroup (ascending pid). */
async function nameProcesses(nodes: CgroupNode[], raws: Map<string, Raw>): Promise<void> {
  const all = nodes.flatMap((n) => {
    n.procs = [...raws.get(n.path)!.pids].sort((a, b) => a - b).slice(0, MAX_PROCS).map((pid) => ({ pid, comm: '' }));
    return n.procs;
  });
  for (let i = 0; i < all.length; i++) {
    const p: CgroupProcess = all[i]!;
    const comm = readText(`/proc/${p.pid}/comm`);
    if (typeof comm === 'string') p.comm = comm.trim();
    if ((i + 1) % (PER_TURN * MAX_PROCS) === 0) await yieldToLoop();
  }
}

/** The mount's root has no cgroup.events: it is populated when it or a child shown is. */
function fillPopulated(nodes: CgroupNode[]): void {
  const top = nodes[0];
  if (top?.path !== '/') return;
  top.populated = top.nrProcs > 0 || nodes.some((c) => c.parent === '/' && c.populated);
}

// ---- file formats --------------------------------------------------------------------------

/** A flat-keyed file ("populated 1\nfrozen 0") as numbers. */
function keyed(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

function num(text: string | undefined): number | undefined {
  const t = text?.trim();
  return t && /^\d+$/.test(t) ? Number(t) : undefined;
}

/** A limit file: a number, or "max" (null: no limit). */
function limit(text: string | undefined): number | null {
  return num(text) ?? null;
}
