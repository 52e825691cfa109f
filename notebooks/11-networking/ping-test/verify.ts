// ping-test, run twice in the host's namespace (the namespaces it creates must outlive it,
// which they would not if it ran under `ip netns exec`: their mounts would stay in that
// command's private mount namespace). First on two namespaces it must create, then on two
// that exist already, one of which drops every echo request. The bridges carry the check's
// names; they, their ports and the namespaces are deleted afterwards.
import {
  defineCheck,
  deleteNetns,
  icmpCounters,
  inNetns,
  iptablesSave,
  netLinks,
  packetCounters,
  restoreNetnsDir,
  testNetns,
  vethPeer,
  ipv4Addresses,
  NETNS_DIR,
  type CheckContext,
  type RunResult,
} from '../../../kernels/check/index.ts';
import { statSync } from 'node:fs';

const ADDR1 = '10.200.24.1/24';
const ADDR2 = '10.200.24.2/24';
const COUNT = 4;
const BROKEN_COUNT = 2;
const DROP = ['-A', 'INPUT', '-p', 'icmp', '-m', 'icmp', '--icmp-type', '8', '-j', 'DROP'];

function status(r: RunResult): string {
  return `exit status ${r.code ?? r.signal}${r.stderr.trim() ? `, stderr: ${r.stderr.trim().slice(0, 300)}` : ''}`;
}

function inode(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}

function listed(r: RunResult): string[] {
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

/** The namespace's veth (whatever it is called), its addresses and the bridge port it is paired with in host. */
async function endpoint(ns: string) {
  const veths = (await netLinks(ns)).filter((l) => l.linkinfo?.info_kind === 'veth');
  const v = veths[0];
  if (!v) return { ns, veths: 0, ifname: '', up: false, addrs: [] as string[], port: null as string | null, master: undefined as string | undefined };
  const peer = await vethPeer(ns, v.ifname);
  const inHost = peer && peer.netns === null ? peer.link : null;
  return {
    ns,
    veths: veths.length,
    ifname: v.ifname,
    up: v.operstate === 'UP',
    addrs: await ipv4Addresses(ns, v.ifname),
    port: inHost?.ifname ?? null,
    master: inHost?.master,
  };
}
type Endpoint = Awaited<ReturnType<typeof endpoint>>;

const showEnd = (e: Endpoint) =>
  e.veths === 0
    ? `${e.ns}: no veth`
    : `${e.ns}: ${e.ifname} ${e.addrs.join(' ') || '(no address)'} ${e.up ? 'UP' : 'not UP'}, ${e.port ? `peer ${e.port} in the host${e.master ? `, port of ${e.master}` : ', on no bridge'}` : "peer not in the host's namespace"}`;

function summaryStats(r: RunResult) {
  const out = r.stdout;
  const tx = /(\d+) packets transmitted/.exec(out);
  const rx = /(\d+) (?:packets )?received/.exec(out);
  const loss = /(\d+(?:\.\d+)?)% packet loss/.exec(out);
  const rtt = /(?:rtt|round-trip)[^\n=]*=\s*([\d.]+)\/([\d.]+)\/([\d.]+)/.exec(out);
  return {
    sent: tx ? Number(tx[1]) : null,
    received: rx ? Number(rx[1]) : null,
    loss: loss ? Number(loss[1]) : null,
    avg: rtt ? Number(rtt[2]) : null,
  };
}

/** A bridge name for the program; at cleanup its ports and itself are deleted (the namespaces take the veths with them anyway). */
function bridgeName(t: CheckContext, prefix: string): string {
  const br = t.name(prefix);
  t.defer(async () => {
    for (const l of await netLinks(null)) if (l.master === br) await t.sh('ip', ['link', 'delete', l.ifname], { allowFail: true });
    await t.sh('ip', ['link', 'delete', br], { allowFail: true });
  });
  return br;
}

export default defineCheck(async (t) => {
  restoreNetnsDir(t);

  // --- Run 1: two namespaces that do not exist yet. ---
  const n1 = t.name('pta');
  const n2 = t.name('ptb');
  deleteNetns(t, n1);
  deleteNetns(t, n2);
  const bridge = bridgeName(t, 'ptg');
  const args = ['-c', String(COUNT), '-bridge', bridge, n1, n2];
  const r = await t.run(args, { timeoutMs: 20_000 });

  const names = listed(await t.sh('ip', ['netns', 'list'], { allowFail: true }));
  const usable = async (n: string) => (await t.sh('ip', ['-n', n, 'link', 'show', 'lo'], { allowFail: true })).code === 0;
  const made = [n1, n2].filter((n) => names.includes(n));
  const work = made.length === 2 && (await usable(n1)) && (await usable(n2));
  t.must({
    id: 'netns-created',
    title: `\`ping-test ${args.join(' ')}\` creates both namespaces`,
    pass: work,
    expected: `${n1} and ${n2} in \`ip netns list\`, each a live network namespace`,
    observed:
      made.length < 2
        ? `not created: ${[n1, n2].filter((n) => !made.includes(n)).join(', ')}; ${status(r)}`
        : `listed, but \`ip -n <name> link\` cannot enter them (nothing mounted on the file?); ${status(r)}`,
    hint: 'Create each namespace that does not exist yet: `ip netns add <name>` (or your 5.1).',
  });

  const br = (await netLinks(null)).find((l) => l.ifname === bridge);
  t.must({
    id: 'bridge-up',
    title: `The bridge ${bridge} is in the host's namespace, up`,
    pass: br !== undefined && br.linkinfo?.info_kind === 'bridge' && br.flags.includes('UP'),
    expected: `a link ${bridge} of kind bridge with the UP flag`,
    observed: !br
      ? `no link ${bridge}; ${status(r)}`
      : br.linkinfo?.info_kind !== 'bridge'
        ? `${bridge} is a ${br.linkinfo?.info_kind ?? 'plain'} link, not a bridge`
        : `${bridge} is there, but down (${br.flags.join(',')})`,
    hint: 'A new link is always created down, and a bridge that is down forwards nothing: `ip link set <bridge> up`.',
  });

  const e1 = await endpoint(n1);
  const e2 = await endpoint(n2);
  const onBridge = (e: Endpoint) => e.veths === 1 && e.port !== null && e.master === br!.ifname;
  t.must({
    id: 'veths-on-bridge',
    title: `Each namespace has a veth whose other end is a port of ${br!.ifname}`,
    pass: onBridge(e1) && onBridge(e2),
    expected: `one veth in ${n1} and one in ${n2}, each paired with an interface in the host whose master is ${br!.ifname}`,
    observed: `${showEnd(e1)}; ${showEnd(e2)}`,
    hint: `\`ip link add <host-end> type veth peer name eth0 netns <ns>\`, then \`ip link set <host-end> master ${br!.ifname} up\`. Two namespaces joined by one veth directly would not be "through a bridge".`,
  });

  const addrOk = (e: Endpoint, want: string) => e.up && e.addrs.length === 1 && e.addrs[0] === want;
  t.assert({
    id: 'addresses-assigned',
    title: `The veths are up, with ${ADDR1} in ${n1} and ${ADDR2} in ${n2}`,
    pass: addrOk(e1, ADDR1) && addrOk(e2, ADDR2),
    expected: `${n1}: ${ADDR1} UP; ${n2}: ${ADDR2} UP`,
    observed: `${n1}: ${e1.addrs.join(' ') || '(none)'} ${e1.up ? 'UP' : 'not UP'}; ${n2}: ${e2.addrs.join(' ') || '(none)'} ${e2.up ? 'UP' : 'not UP'}`,
    hint: '`ip -n <ns> addr add 10.200.24.N/24 dev eth0` and `ip -n <ns> link set eth0 up`.',
  });

  t.assert({
    id: 'ping-succeeds',
    title: 'With a working link, it exits with status 0',
    pass: r.code === 0,
    expected: 'exit status 0: every echo request was answered',
    observed: status(r) + (r.stdout.trim() ? `; stdout: ${r.stdout.trim().split('\n').slice(-3).join(' | ')}` : ''),
    hint: 'Exit non-zero only when a reply is missing (or something failed). Are the bridge, both veth ends and both eth0 up?',
  });

  // The proof that the pings really happened: ICMP counters of each namespace, and the
  // packet counters of the two bridge ports.
  const c1 = await icmpCounters(t, n1);
  const c2 = await icmpCounters(t, n2);
  t.assert({
    id: 'icmp-crossed',
    title: `${COUNT} echo requests reached ${n2} and ${COUNT} replies came back to ${n1}`,
    pass: (c2.InEchos ?? 0) >= COUNT && (c2.OutEchoReps ?? 0) >= COUNT && (c1.InEchoReps ?? 0) >= COUNT,
    expected: `in ${n2}'s /proc/net/snmp: InEchos ≥ ${COUNT}, OutEchoReps ≥ ${COUNT}; in ${n1}'s: InEchoReps ≥ ${COUNT}`,
    observed: `${n2}: InEchos ${c2.InEchos ?? '?'}, OutEchoReps ${c2.OutEchoReps ?? '?'}; ${n1}: OutEchos ${c1.OutEchos ?? '?'}, InEchoReps ${c1.InEchoReps ?? '?'}`,
    hint: `Send -c echo requests (ICMP type 8) from inside ${n1} to 10.200.24.2: a raw ICMP socket opened after setns(2), or ip netns exec ${n1} ping. The counters say whether any were sent.`,
  });

  const p1 = e1.port ? await packetCounters(null, e1.port) : null;
  const p2 = e2.port ? await packetCounters(null, e2.port) : null;
  t.assert({
    id: 'bridge-counters',
    title: 'The packets went through the bridge ports',
    pass: (p1?.rx ?? 0) >= COUNT && (p1?.tx ?? 0) >= COUNT && (p2?.rx ?? 0) >= COUNT && (p2?.tx ?? 0) >= COUNT,
    expected: `rx and tx ≥ ${COUNT} on both ports (${e1.port}, ${e2.port})`,
    observed: `${e1.port}: ${p1 ? `rx ${p1.rx}, tx ${p1.tx}` : '?'}; ${e2.port}: ${p2 ? `rx ${p2.rx}, tx ${p2.tx}` : '?'}`,
    hint: 'Requests enter the bridge by the port of the first namespace and leave by the second one; replies go the other way.',
  });

  const s = summaryStats(r);
  t.assert({
    id: 'reports-loss-rtt',
    title: 'It reports the packets sent and received, 0% loss and the round-trip time',
    pass: s.sent === COUNT && s.received === COUNT && s.loss === 0 && s.avg !== null && s.avg > 0 && s.avg < 1000,
    expected: `"${COUNT} packets transmitted, ${COUNT} received, 0% packet loss" and "rtt min/avg/max = a/b/c ms"`,
    observed: r.stdout.trim() ? r.stdout.trim().split('\n').slice(-4).join(' | ') : '(nothing on stdout)',
    hint: 'End with ping\'s summary: "N packets transmitted, M received, X% packet loss", then "rtt min/avg/max = … ms" from the times you measured.',
  });
  await t.snapshotTopology();

  // --- Run 2: two namespaces that exist; the second drops every echo request. ---
  const m1 = await testNetns(t, 'ptc');
  const m2 = await testNetns(t, 'ptd');
  await inNetns(t, m2, 'iptables', DROP);
  const before = inode(`${NETNS_DIR}/${m2}`);
  const bridge2 = bridgeName(t, 'pth');
  const b = await t.run(['-c', String(BROKEN_COUNT), '-bridge', bridge2, m1, m2], { timeoutMs: 20_000 });

  const f1 = await endpoint(m1);
  const f2 = await endpoint(m2);
  const drop = (await iptablesSave(t, m2, 'filter')).filter((l) => l.includes('DROP'));
  const same = inode(`${NETNS_DIR}/${m2}`) === before;
  t.must({
    id: 'reuses-netns',
    title: `Given namespaces that exist, it uses them as they are (${m2} drops echo requests)`,
    pass: same && drop.length > 0 && addrOk(f1, ADDR1) && addrOk(f2, ADDR2),
    expected: `the same ${m2} as before, its DROP rule still there, and ${ADDR1}/${ADDR2} on veths in ${m1}/${m2}`,
    observed: !same
      ? `${NETNS_DIR}/${m2} is another namespace now: it was deleted and made again`
      : drop.length === 0
        ? `${m2}'s DROP rule is gone`
        : `${showEnd(f1)}; ${showEnd(f2)}; ${status(b)}`,
    hint: `When /run/netns/<name> exists, add your veth to that namespace; do not fail, and do not delete and recreate it (that would throw away what is inside, like this firewall rule).`,
  });

  const d1 = await icmpCounters(t, m1);
  t.assert({
    id: 'requests-sent',
    title: `It sent its ${BROKEN_COUNT} echo requests`,
    pass: (d1.OutEchos ?? 0) >= BROKEN_COUNT,
    expected: `OutEchos ≥ ${BROKEN_COUNT} in ${m1}'s /proc/net/snmp`,
    observed: `OutEchos ${d1.OutEchos ?? '?'}`,
    hint: 'Send the requests even when you expect no answer: the point is to find out.',
  });

  t.assert({
    id: 'loss-exit-nonzero',
    title: 'When no reply comes back, it exits with a non-zero status',
    pass: b.code !== 0 && b.code !== null,
    expected: 'a non-zero exit status (100% loss)',
    observed: status(b),
    hint: 'Count the replies; if fewer came back than were sent, os.Exit(1). A test that cannot fail tests nothing.',
  });

  const sb = summaryStats(b);
  t.assert({
    id: 'loss-reported',
    title: 'It reports 100% packet loss',
    pass: sb.loss === 100 && sb.received === 0,
    expected: `"${BROKEN_COUNT} packets transmitted, 0 received, 100% packet loss"`,
    observed: b.stdout.trim() ? b.stdout.trim().split('\n').slice(-3).join(' | ') : '(nothing on stdout)',
    hint: 'Wait a bounded time for each reply (a read deadline), count it as lost when none comes, and print the summary anyway.',
  });
});
