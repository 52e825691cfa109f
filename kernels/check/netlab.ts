// Network test hosts for the Stage 11 checks: namespaces the check makes (and always
// removes), a TCP server that says who it is and whom it saw, a client, ping, counters and
// rules. Addresses: 10.200.0.0/16 for lab networks, 198.51.100.0/24 for the "internet";
// nothing here ever routes out of the machine's real interface.
import type { CheckContext } from './context.ts';
import type { RunResult, Started } from '../exec.ts';
import { ipJson } from '../net.ts';

/** A named network namespace for this check, its loopback up; deleted at cleanup. */
export async function testNetns(t: CheckContext, prefix = 'lxn'): Promise<string> {
  const name = t.name(prefix);
  await t.sh('ip', ['netns', 'add', name]);
  t.defer(() => t.sh('ip', ['netns', 'delete', name], { allowFail: true }));
  await t.sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

/** Run a tool inside a named namespace (null: the host's). */
export function inNetns(t: CheckContext, ns: string | null, file: string, args: string[], opts: { allowFail?: boolean; timeoutMs?: number } = {}): Promise<RunResult> {
  return ns ? t.sh('ip', ['netns', 'exec', ns, file, ...args], opts) : t.sh(file, args, opts);
}

/** busybox ping (always installed with the lab): true when at least one reply came back. */
export async function ping(t: CheckContext, ns: string | null, address: string, count = 1): Promise<{ ok: boolean; output: string }> {
  const r = await inNetns(t, ns, 'busybox', ['ping', '-c', String(count), '-W', '1', address], { allowFail: true, timeoutMs: 5000 + count * 1000 });
  return { ok: r.code === 0, output: (r.stdout + r.stderr).trim() };
}

const SERVER = `
const net = require('node:net');
const [id, host, port] = process.argv.slice(1);
net.createServer((s) => s.end(JSON.stringify({ id, peer: s.remoteAddress.replace(/^::ffff:/, '') }) + '\\n'))
  .listen(Number(port), host, () => console.log('listening'));`;

/**
 * A TCP server in ns that answers every connection with {"id": identity, "peer": the source
 * address it saw} and closes. Resolves once it listens; killed at cleanup.
 */
export async function identityServer(t: CheckContext, ns: string | null, host: string, port: number, identity: string): Promise<Started> {
  const argv = ['-e', SERVER, identity, host, String(port)];
  const s = ns ? t.background('ip', ['netns', 'exec', ns, process.execPath, ...argv]) : t.background(process.execPath, argv);
  await t.waitFor(() => s.stdout().includes('listening'), 5000, s);
  if (!s.stdout().includes('listening')) throw new Error(`identity server in ${ns ?? 'host'} did not start: ${s.stderr()}`);
  return s;
}

const CLIENT = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port), timeout: 2000 }, () => {});
let data = '';
s.on('data', (d) => (data += d));
s.on('end', () => { process.stdout.write(data); process.exit(0); });
s.on('timeout', () => { console.error('timed out'); process.exit(2); });
s.on('error', (e) => { console.error(e.message); process.exit(1); });`;

/**
 * Connect from ns to host:port; the identity server's answer, or why it failed. Tried a second
 * time when there was no answer at all (a loaded machine can be slow to start the client); a
 * refused connection is an answer.
 */
export async function tcpRequest(t: CheckContext, ns: string | null, host: string, port: number): Promise<{ reply: { id: string; peer: string } | null; error: string }> {
  const once = async () => {
    const r = await inNetns(t, ns, process.execPath, ['-e', CLIENT, host, String(port)], { allowFail: true, timeoutMs: 5000 });
    try {
      return { reply: JSON.parse(r.stdout) as { id: string; peer: string }, error: '' };
    } catch {
      return { reply: null, error: (r.stderr || r.stdout).trim() || `exit ${r.code}` };
    }
  };
  const first = await once();
  return first.reply || first.error.includes('ECONNREFUSED') ? first : once();
}

/** `ip -n ns …`: configure a test host. */
export async function ipIn(t: CheckContext, ns: string, args: string[]): Promise<void> {
  await t.sh('ip', ['-n', ns, ...args]);
}

interface LinkStats {
  ifname: string;
  stats64?: { rx: { packets: number }; tx: { packets: number } };
}

/** rx/tx packet counters of an interface (ip -s -json link). */
export async function packetCounters(ns: string | null, ifname: string): Promise<{ rx: number; tx: number } | null> {
  const links = await ipJson<LinkStats[]>(['-s', 'link', 'show', 'dev', ifname], ns ?? undefined).catch(() => []);
  const s = links[0]?.stats64;
  return s ? { rx: s.rx.packets, tx: s.tx.packets } : null;
}

/** iptables-save of one table (in ns, or the host's), without comments and counters. */
export async function iptablesSave(t: CheckContext, ns: string | null, table = 'nat'): Promise<string[]> {
  const r = await inNetns(t, ns, 'iptables-save', ['-t', table], { allowFail: true });
  return r.stdout.split('\n').filter((l) => l.startsWith('-A '));
}

// --- Links, addresses, veth peers; the learner's binary in a stand-in host (5.17–5.19) ---

/** An interface as `ip -d -json link` shows it. */
export interface NetLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  operstate: string;
  /** A veth's peer: its ifindex, in the namespace link_netnsid names (absent: this one). */
  link_index?: number;
  link_netnsid?: number;
  master?: string;
  linkinfo?: { info_kind?: string; info_slave_kind?: string };
}

/** Every interface of ns (null: the host's), with details; [] when ns cannot be read. */
export async function netLinks(ns: string | null): Promise<NetLink[]> {
  return ipJson<NetLink[]>(['-d', 'link', 'show'], ns ?? undefined).catch(() => []);
}

/** One interface of ns by name, or null. */
export async function netLink(ns: string | null, ifname: string): Promise<NetLink | null> {
  return (await netLinks(ns)).find((l) => l.ifname === ifname) ?? null;
}

/** The IPv4 addresses of an interface in ns, as "10.200.17.1/24"; [] when it has none or is absent. */
export async function ipv4Addresses(ns: string | null, ifname: string): Promise<string[]> {
  const r = await ipJson<{ addr_info?: { family: string; local: string; prefixlen: number }[] }[]>(['-4', 'addr', 'show', 'dev', ifname], ns ?? undefined).catch(() => []);
  return r.flatMap((l) => (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`));
}

/** The name of the namespace that nsid means, seen from ns (`ip netns list-id`); null when it has none (the host's, seen from a named one). */
export async function nsidName(ns: string | null, nsid: number): Promise<string | null> {
  const ids = await ipJson<{ nsid: number; name?: string }[]>(['netns', 'list-id'], ns ?? undefined).catch(() => []);
  return ids.find((i) => i.nsid === nsid)?.name ?? null;
}

/**
 * The other end of the veth ifname in ns and the namespace it is in (a name; null: the
 * host's), confirmed both ways: its own peer is ifname in ns. Interface indexes are per
 * namespace, so the index alone proves nothing; link_netnsid says where to look. null when
 * ifname is not a veth, or its peer is in no named namespace and not in the host's.
 */
export async function vethPeer(ns: string | null, ifname: string): Promise<{ netns: string | null; link: NetLink } | null> {
  const self = await netLink(ns, ifname);
  if (!self || self.linkinfo?.info_kind !== 'veth' || self.link_index === undefined) return null;
  const elsewhere = self.link_netnsid !== undefined;
  const where = elsewhere ? await nsidName(ns, self.link_netnsid!) : ns;
  if (elsewhere && where === null && ns === null) return null; // an unnamed namespace
  const peer = (await netLinks(where)).find((l) => l.ifindex === self.link_index);
  if (!peer || peer.link_index !== self.ifindex) return null;
  const back = peer.link_netnsid === undefined ? where : await nsidName(where, peer.link_netnsid);
  return back === ns ? { netns: where, link: peer } : null;
}

/**
 * The learner's binary run inside ns with `ip netns exec`: a namespace the check made stands
 * in for the host, so what the program creates (links of any name, sysctls) is the check's
 * alone and goes with it. Jailed and time-limited like t.run (a hang fails binary-finished);
 * the result's command reads as the learner would type it.
 */
export async function runInNetns(t: CheckContext, ns: string, args: string[], timeoutMs = 10_000): Promise<RunResult> {
  const r = await t.sh('ip', ['netns', 'exec', ns, t.binaryPath, ...args], { allowFail: true, timeoutMs, cwd: t.tmp });
  t.binaryMs += r.durationMs;
  const command = [t.binaryPath.split('/').pop(), ...args].join(' ');
  if (r.timedOut) {
    t.must({
      id: 'binary-finished',
      title: `\`${command}\` finishes`,
      pass: false,
      expected: `exit within ${timeoutMs / 1000} s`,
      observed: `still running after ${timeoutMs / 1000} s: killed with everything it started`,
      hint: 'The program hung. Does it wait on a child that never exits, or read stdin?',
    });
  }
  return { ...r, command };
}

// --- iptables rules, chain policies and sysctls of a namespace (5.20–5.21) ---

/** One option of a rule: `-s 10.0.0.0/24` is { name: '-s', value: '10.0.0.0/24' }; `! -o eth0` is negated. */
export interface IptablesOption {
  name: string;
  value: string;
  negated: boolean;
}

/** An iptables-save rule line, split: `-A <chain> … -j <target> …`. */
export interface IptablesRule {
  line: string;
  chain: string;
  /** -j (or -g) target: ACCEPT, MASQUERADE, DNAT, a chain of the rule set's own…; '' if none. */
  target: string;
  options: IptablesOption[];
}

/** Split an iptables-save line into words, keeping "quoted strings" (comments) whole. */
function iptablesWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) words.push(m[1] !== undefined ? m[1] : m[2]!);
  return words;
}

/** Parse one `-A …` line of iptables-save; null for anything else. */
export function parseIptablesRule(line: string): IptablesRule | null {
  const words = iptablesWords(line.trim());
  if (words[0] !== '-A' || !words[1]) return null;
  const options: IptablesOption[] = [];
  let negated = false;
  let current: IptablesOption | null = null;
  for (const w of words.slice(2)) {
    if (w === '!') negated = true;
    else if (/^-/.test(w) && !/^-\d/.test(w)) {
      current = { name: w, value: '', negated };
      options.push(current);
      negated = false;
    } else if (current) current.value = current.value ? `${current.value} ${w}` : w;
  }
  const jump = options.find((o) => o.name === '-j' || o.name === '--jump' || o.name === '-g' || o.name === '--goto');
  return { line: line.trim(), chain: words[1], target: jump?.value ?? '', options };
}

/** The value of a rule's option (first match, negated or not), or undefined. */
export function ruleOption(rule: IptablesRule, ...names: string[]): IptablesOption | undefined {
  return rule.options.find((o) => names.includes(o.name));
}

/**
 * The rules a packet entering `chain` can meet: that chain's, then (depth first, where they
 * are jumped to) those of the rule set's own chains it jumps or goes to. Lines are
 * iptables-save `-A` lines of one table (iptablesSave).
 */
export function chainRules(lines: string[], chain: string): IptablesRule[] {
  const rules = lines.map(parseIptablesRule).filter((r): r is IptablesRule => r !== null);
  const chains = new Set(rules.map((r) => r.chain));
  const out: IptablesRule[] = [];
  const seen = new Set<string>();
  const walk = (c: string) => {
    if (seen.has(c)) return;
    seen.add(c);
    for (const r of rules.filter((x) => x.chain === c)) {
      out.push(r);
      if (chains.has(r.target)) walk(r.target);
    }
  };
  walk(chain);
  return out;
}

/** A built-in chain's policy and how many packets it has decided so far (iptables-save -c); null if the table is absent. */
export async function chainPolicy(t: CheckContext, ns: string | null, table: string, chain: string): Promise<{ policy: string; packets: number } | null> {
  const r = await inNetns(t, ns, 'iptables-save', ['-c', '-t', table], { allowFail: true });
  const m = new RegExp(`^:${chain} (\\S+) \\[(\\d+):\\d+\\]`, 'm').exec(r.stdout);
  return m ? { policy: m[1]!, packets: Number(m[2]) } : null;
}

/** /proc/sys path of a sysctl key: "net/ipv4/ip_forward" as is, "net.ipv4.ip_forward" with dots as separators. */
function sysctlPath(key: string): string {
  return `/proc/sys/${key.includes('/') ? key : key.replace(/\./g, '/')}`;
}

/** A sysctl as the namespace sees it (/proc/sys/net is per network namespace); null if absent. */
export async function readSysctl(t: CheckContext, ns: string | null, key: string): Promise<string | null> {
  const r = await inNetns(t, ns, 'cat', [sysctlPath(key)], { allowFail: true });
  return r.code === 0 ? r.stdout.trim() : null;
}

/** Set a sysctl in a namespace (the host guard puts the host's back after a check). */
export async function writeSysctl(t: CheckContext, ns: string | null, key: string, value: string): Promise<void> {
  await inNetns(t, ns, 'sh', ['-c', 'echo "$1" > "$2"', 'sh', value, sysctlPath(key)]);
}

// --- ICMP counters of a namespace (5.24) ---

/**
 * The ICMP counters of ns (null: the host's) from /proc/net/snmp, which is per network
 * namespace: { InEchos, OutEchoReps, OutEchos, InEchoReps, … }. Unlike interface counters
 * they count ICMP only, not the ARP and IPv6 chatter of a new link. {} when unreadable.
 */
export async function icmpCounters(t: CheckContext, ns: string | null): Promise<Record<string, number>> {
  const r = await inNetns(t, ns, 'cat', ['/proc/net/snmp'], { allowFail: true });
  const [names, values] = r.stdout.split('\n').filter((l) => l.startsWith('Icmp: '));
  const out: Record<string, number> = {};
  if (!names || !values) return out;
  const v = values.split(/\s+/).slice(1);
  names.split(/\s+/).slice(1).forEach((n, i) => (out[n] = Number(v[i] ?? 0)));
  return out;
}
