// The probe behind the topology diagram: `ip -json` and `iptables-save -t nat` in every
// network namespace the lab can see — its own (the host's), the named ones (/run/netns), and
// those of running processes — with veth pairs resolved across namespaces.
//
// Bounded: every command has a time limit, at most MAX_PROCESS_NAMESPACES namespaces of
// processes are entered, a few at a time; a namespace that vanishes mid-probe is left out.
import { spawn } from 'node:child_process';
import { open, type FileHandle } from 'node:fs/promises';
import {
  NAT_KINDS,
  type NatKind,
  type NatRule,
  type TopologyInterface,
  type TopologyLink,
  type TopologyNamespace,
  type TopologyRoute,
  type TopologySnapshot,
} from '../../common/diagram.ts';
import { SAFE_ENV } from '../exec.ts';
import { allPids, hostNs, nsInode } from '../proc.ts';
import { namedNetns } from './namespaces.ts';

const EXEC_TIMEOUT_MS = 5000;
const MAX_PROCESS_NAMESPACES = 20;
const MAX_PIDS = 5;
const MAX_ROUTES = 64;
const MAX_NAT_RULES = 64;
const CONCURRENCY = 4; // namespaces probed at once (each runs four commands)

/** How to run a command inside one namespace. */
type Where = { kind: 'host' } | { kind: 'named'; name: string } | { kind: 'fd'; handle: FileHandle };

interface Found {
  inode: number;
  host: boolean;
  name: string | null;
  pids: number[]; // every process in it, ascending
}

interface Probed {
  ns: TopologyNamespace;
  veth: VethEnd[];
  nsids: Map<number, string | null>; // this namespace's nsid table: nsid -> /run/netns name (null: unnamed)
  nat: NatRule[];
}

interface VethEnd {
  ns: number; // index into the snapshot's namespaces
  ifindex: number;
  /** The peer's ifindex (link_index), when the peer is in another namespace. */
  peerIndex?: number;
  /** link_netnsid: the peer namespace's id in this namespace's nsid table. */
  nsid?: number;
  /** The peer's name, when it is in the same namespace (ip prints `link` then). */
  sameNsPeer?: string;
  paired: boolean;
}

export async function probeTopology(): Promise<TopologySnapshot> {
  const takenAt = new Date().toISOString();
  const { found, omitted } = findNamespaces();
  const probed = (await mapLimit(found, CONCURRENCY, probeOne)).filter((p): p is Probed => p !== null);
  probed.forEach((p, i) => {
    for (const v of p.veth) v.ns = i;
  });
  const links = resolveVeth(probed);
  return {
    takenAt,
    namespaces: probed.map((p) => p.ns),
    links,
    nat: probed.flatMap((p) => p.nat),
    omitted,
  };
}

/** Host first, then named (by name), then process namespaces (the newest MAX, by first pid). */
function findNamespaces(): { found: Found[]; omitted: number } {
  const host = hostNs('net');
  const byInode = new Map<number, Found>();
  const get = (inode: number) => {
    let f = byInode.get(inode);
    if (!f) {
      f = { inode, host: inode === host, name: null, pids: [] };
      byInode.set(inode, f);
    }
    return f;
  };
  if (host !== null) get(host);
  for (const [name, inode] of [...namedNetns()].sort(([a], [b]) => a.localeCompare(b))) {
    const f = get(inode);
    f.name ??= name;
  }
  for (const pid of allPids().sort((a, b) => a - b)) {
    const inode = nsInode(pid, 'net'); // null: gone, or not ours to read
    if (inode !== null) get(inode).pids.push(pid);
  }
  const all = [...byInode.values()];
  const hostNsList = all.filter((f) => f.host);
  const named = all.filter((f) => !f.host && f.name !== null);
  // Processes' namespaces: keep the newest (what a check or the learner just started).
  const newest = (f: Found) => f.pids[f.pids.length - 1] ?? 0;
  const processNs = all.filter((f) => !f.host && f.name === null && f.pids.length > 0).sort((a, b) => newest(b) - newest(a));
  const kept = processNs.slice(0, MAX_PROCESS_NAMESPACES).sort((a, b) => (a.pids[0] ?? 0) - (b.pids[0] ?? 0));
  return { found: [...hostNsList, ...named, ...kept], omitted: processNs.length - kept.length };
}

async function probeOne(f: Found): Promise<Probed | null> {
  let where: Where;
  if (f.host) where = { kind: 'host' };
  else if (f.name !== null) where = { kind: 'named', name: f.name };
  else {
    const handle = await pin(f);
    if (!handle) return null;
    where = { kind: 'fd', handle };
  }
  try {
    const [links, routes, nsids, nat] = await Promise.all([
      ipJson<IpLink[]>(where, ['-details', 'addr', 'show']),
      ipJson<IpRoute[]>(where, ['route', 'show']),
      ipJson<IpNsid[]>(where, ['netns', 'list-id']),
      tool(where, 'iptables-save', ['-t', 'nat']),
    ]);
    if (!links) return null; // vanished (or ip failed): nothing to draw
    const id = `net:${f.inode}`;
    const ns: TopologyNamespace = {
      id,
      host: f.host,
      name: f.name,
      inode: f.inode,
      pids: f.host ? [] : f.pids.slice(0, MAX_PIDS),
      processCount: f.pids.length,
      interfaces: links.map(toInterface),
      routes: (routes ?? []).slice(0, MAX_ROUTES).map(toRoute),
    };
    const veth: VethEnd[] = [];
    for (const l of links) {
      if (l.linkinfo?.info_kind !== 'veth') continue;
      if (l.link_netnsid !== undefined && l.link_index !== undefined) veth.push({ ns: -1, ifindex: l.ifindex, peerIndex: l.link_index, nsid: l.link_netnsid, paired: false });
      else if (l.link) veth.push({ ns: -1, ifindex: l.ifindex, sameNsPeer: l.link, paired: false });
    }
    return {
      ns,
      veth,
      nsids: new Map((nsids ?? []).map((n) => [n.nsid, n.name ?? null])),
      nat: nat === null ? [] : parseNat(id, nat, f.host),
    };
  } finally {
    if (where.kind === 'fd') await where.handle.close().catch(() => {});
  }
}

/**
 * Hold a process's namespace open: an fd on /proc/PID/ns/net (checked to be that namespace),
 * handed to nsenter as /proc/self/fd/3 — the pid may exit, or be reused, during the probe.
 */
async function pin(f: Found): Promise<FileHandle | null> {
  for (const pid of f.pids.slice(0, 5)) {
    let handle: FileHandle | null = null;
    try {
      handle = await open(`/proc/${pid}/ns/net`, 'r');
      if ((await handle.stat()).ino === f.inode) return handle;
    } catch {
      /* exited, or not ours to enter: try the next */
    }
    await handle?.close().catch(() => {});
  }
  return null;
}

async function ipJson<T>(where: Where, args: string[]): Promise<T | null> {
  const argv = where.kind === 'named' ? ['-n', where.name, '-json', ...args] : ['-json', ...args];
  const out = await tool(where, 'ip', argv);
  if (out === null) return null;
  try {
    return JSON.parse(out.trim() || '[]') as T;
  } catch {
    return null;
  }
}

/** stdout of a command run in the namespace, or null if it failed or timed out. */
function tool(where: Where, file: string, args: string[]): Promise<string | null> {
  let argv: [string, string[]];
  if (where.kind === 'fd') argv = ['nsenter', ['--net=/proc/self/fd/3', file, ...args]];
  else if (where.kind === 'named' && file !== 'ip') argv = ['nsenter', [`--net=/run/netns/${where.name}`, file, ...args]];
  else argv = [file, args];
  return capture(argv[0], argv[1], where.kind === 'fd' ? where.handle.fd : undefined);
}

function capture(file: string, args: string[], fd3?: number): Promise<string | null> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(file, args, { env: SAFE_ENV, stdio: fd3 === undefined ? ['ignore', 'pipe', 'ignore'] : ['ignore', 'pipe', 'ignore', fd3] });
    } catch {
      resolve(null);
      return;
    }
    let out = '';
    let size = 0;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      size += d.length;
      if (size <= 4 << 20) out += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), EXEC_TIMEOUT_MS);
    child.on('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 && size <= 4 << 20 ? out : null);
    });
  });
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ---- ip -json ------------------------------------------------------------------------------

interface IpLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  operstate?: string;
  link_type?: string;
  address?: string;
  master?: string;
  link?: string; // the peer's (or parent's) name, same namespace
  link_index?: number; // the peer's ifindex, in the namespace link_netnsid names
  link_netnsid?: number;
  linkinfo?: { info_kind?: string; info_slave_kind?: string };
  addr_info?: { family: string; local?: string; prefixlen?: number; scope?: string }[];
}

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
}

interface IpNsid {
  nsid: number;
  name?: string;
}

function toInterface(l: IpLink): TopologyInterface {
  const kind = l.linkinfo?.info_kind ?? (l.link_type === 'loopback' ? 'loopback' : 'device');
  const addrs = (l.addr_info ?? []).filter((a) => a.local && a.prefixlen !== undefined && !(a.family === 'inet6' && a.scope === 'link'));
  addrs.sort((a, b) => Number(a.family === 'inet6') - Number(b.family === 'inet6'));
  const itf: TopologyInterface = {
    ifindex: l.ifindex,
    name: l.ifname,
    kind,
    state: l.operstate ?? 'UNKNOWN',
    up: (l.flags ?? []).includes('UP'),
    mac: l.address ?? '',
    addresses: addrs.map((a) => `${a.local}/${a.prefixlen}`),
  };
  if (l.master) itf.master = l.master;
  return itf;
}

function toRoute(r: IpRoute): TopologyRoute {
  const route: TopologyRoute = { dst: r.dst, dev: r.dev ?? '' };
  if (r.gateway) route.gateway = r.gateway;
  return route;
}

// ---- veth pairs ----------------------------------------------------------------------------

/**
 * Pair the veth ends. Same namespace: ip names the peer. Across namespaces it gives the
 * peer's ifindex (link_index) and the peer namespace's nsid *in this namespace's table*
 * (link_netnsid) — ifindexes repeat across namespaces (each new one starts at 1), so the
 * candidates are ends B with A.ifindex == B.link_index and B.ifindex == A.link_index, kept
 * only when consistent with what the nsid tables say: an nsid `ip netns list-id` names must
 * be that named namespace, an unnamed one cannot be a named namespace, and one nsid stands
 * for one namespace (learned as pairs are made). Unique matches first, then the first of
 * the remaining candidates; an end whose peer is in no namespace of the snapshot stays
 * unpaired.
 */
function resolveVeth(probed: Probed[]): TopologyLink[] {
  const links: TopologyLink[] = [];
  const end = (v: VethEnd) => ({ namespaceId: probed[v.ns]!.ns.id, ifindex: v.ifindex });
  const link = (a: VethEnd, b: VethEnd) => {
    a.paired = b.paired = true;
    const ia = probed[a.ns]!.ns.interfaces.find((i) => i.ifindex === a.ifindex);
    const ib = probed[b.ns]!.ns.interfaces.find((i) => i.ifindex === b.ifindex);
    if (ia) ia.peer = end(b);
    if (ib) ib.peer = end(a);
    links.push({ a: end(a), b: end(b) });
  };

  // Same namespace: by name.
  for (const p of probed) {
    for (const a of p.veth) {
      if (a.paired || a.sameNsPeer === undefined) continue;
      const peerIf = p.ns.interfaces.find((x) => x.name === a.sameNsPeer);
      const b = peerIf && p.veth.find((v) => v.ifindex === peerIf.ifindex && !v.paired && v !== a);
      if (b) link(a, b);
    }
  }

  // Across namespaces.
  const learned = probed.map(() => new Map<number, number>()); // per namespace: nsid -> namespace index
  const nameIndex = new Map(probed.map((p, i) => [p.ns.name, i] as const).filter(([n]) => n !== null));
  const cross = probed.flatMap((p) => p.veth.filter((v) => v.peerIndex !== undefined && v.nsid !== undefined));
  /** May x's link_netnsid stand for namespace y? */
  const consistent = (x: VethEnd, y: number): boolean => {
    const known = learned[x.ns]!.get(x.nsid!);
    if (known !== undefined) return known === y;
    const table = probed[x.ns]!.nsids;
    if (table.has(x.nsid!)) {
      const name = table.get(x.nsid!) ?? null;
      if (name !== null) return nameIndex.get(name) === y;
      if (probed[y]!.ns.name !== null) return false; // an unnamed nsid is not a named namespace
    }
    for (const [nsid, ns] of learned[x.ns]!) if (ns === y && nsid !== x.nsid) return false;
    return true;
  };
  const candidates = (a: VethEnd) =>
    cross.filter((b) => !b.paired && b.ns !== a.ns && b.ifindex === a.peerIndex && b.peerIndex === a.ifindex && consistent(a, b.ns) && consistent(b, a.ns));
  const pair = (a: VethEnd, b: VethEnd) => {
    link(a, b);
    learned[a.ns]!.set(a.nsid!, b.ns);
    learned[b.ns]!.set(b.nsid!, a.ns);
  };

  for (;;) {
    let progress = false;
    for (const a of cross) {
      if (a.paired) continue;
      const c = candidates(a);
      if (c.length === 1 && candidates(c[0]!).length === 1) {
        pair(a, c[0]!);
        progress = true;
      }
    }
    if (progress) continue;
    const a = cross.find((x) => !x.paired && candidates(x).length > 0);
    if (!a) break;
    pair(a, candidates(a)[0]!); // ambiguous: take the first (host first, then by name / pid)
  }
  return links;
}

// ---- iptables-save -t nat ------------------------------------------------------------------

/** The NAT rules (MASQUERADE, SNAT, DNAT, REDIRECT) of one namespace's iptables-save -t nat. */
export function parseNat(namespaceId: string, dump: string, host: boolean): NatRule[] {
  const rules: NatRule[] = [];
  let table = '';
  for (const raw of dump.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) table = line.slice(1);
    if (table !== 'nat' || !line.startsWith('-A ')) continue;
    const rule = parseRule(namespaceId, line, host);
    if (rule) rules.push(rule);
    if (rules.length >= MAX_NAT_RULES) break;
  }
  return rules;
}

const OPTION: Record<string, keyof NatRule> = {
  '-s': 'source',
  '--source': 'source',
  '-d': 'destination',
  '--destination': 'destination',
  '-i': 'inInterface',
  '--in-interface': 'inInterface',
  '-o': 'outInterface',
  '--out-interface': 'outInterface',
  '-p': 'protocol',
  '--protocol': 'protocol',
  '--dport': 'dport',
  '--destination-port': 'dport',
  '--dports': 'dport',
  '--to-destination': 'to',
  '--to-source': 'to',
  '--to-ports': 'to',
};

function parseRule(namespaceId: string, text: string, host: boolean): NatRule | null {
  const words = shellWords(text);
  const chain = words[1] ?? '';
  const j = words.indexOf('-j');
  const target = j >= 0 ? words[j + 1] : undefined;
  if (!target || !(NAT_KINDS as readonly string[]).includes(target)) return null;
  const rule: NatRule = { namespaceId, chain, kind: target as NatKind, text, summary: '' };
  const fields = rule as unknown as Record<string, string>;
  for (let i = 2; i < words.length; i++) {
    const negated = words[i] === '!';
    if (negated) i++;
    const key = OPTION[words[i] ?? ''];
    if (key && words[i + 1] !== undefined && fields[key] === undefined) {
      fields[key] = `${negated ? '!' : ''}${words[i + 1]}`;
      i++;
    }
  }
  rule.summary = summarize(rule, host);
  return rule;
}

function summarize(r: NatRule, host: boolean): string {
  const hostOf = (a: string) => a.replace(/\/32$/, '');
  const proto = r.protocol && r.protocol !== 'tcp' ? `/${r.protocol}` : '';
  const where = r.destination ? hostOf(r.destination) : r.inInterface ?? (host ? 'host' : 'any');
  const at = r.dport ? `${where}:${r.dport}${proto}` : where;
  switch (r.kind) {
    case 'MASQUERADE':
      return `MASQUERADE ${r.source ?? 'any'}${r.outInterface ? ` → ${r.outInterface}` : ''}`;
    case 'SNAT':
      return `SNAT ${r.source ?? 'any'} → ${r.to ?? '?'}`;
    case 'DNAT':
      return `DNAT ${at} → ${r.to ?? '?'}`;
    case 'REDIRECT':
      return `REDIRECT ${at} → :${r.to ?? '?'}`;
  }
}

/** Split an iptables-save line into words (it double-quotes words with spaces, e.g. comments). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return words;
}
