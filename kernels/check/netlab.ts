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

/** Connect from ns to host:port; the identity server's answer, or why it failed. */
export async function tcpRequest(t: CheckContext, ns: string | null, host: string, port: number): Promise<{ reply: { id: string; peer: string } | null; error: string }> {
  const r = await inNetns(t, ns, process.execPath, ['-e', CLIENT, host, String(port)], { allowFail: true, timeoutMs: 5000 });
  try {
    return { reply: JSON.parse(r.stdout) as { id: string; peer: string }, error: '' };
  } catch {
    return { reply: null, error: (r.stderr || r.stdout).trim() || `exit ${r.code}` };
  }
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
