// docker-net: a namespace of the check's stands in for the host (the bridge, the NAT and
// FORWARD rules, ip_forward and the host ends of the veths land there and go with it), a
// second one is the "internet" behind a veth, and seven more are the containers. The state
// directory is in the check's scratch folder.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  chainRules,
  defineCheck,
  identityServer,
  inNetns,
  ipJson,
  ipv4Addresses,
  iptablesSave,
  netLink,
  netLinks,
  ping,
  readSysctl,
  ruleOption,
  runInNetns,
  tcpRequest,
  testNetns,
  vethPeer,
  writeSysctl,
  type RunResult,
} from '../../../kernels/check/index.ts';

const SUBNET = '10.200.22.0/29'; // a gateway and five containers: small enough to fill up
const GATEWAY = '10.200.22.1';
const NETWORK_ADDR = '10.200.22.0';
const BROADCAST = '10.200.22.7';
const POOL = ['10.200.22.2', '10.200.22.3', '10.200.22.4', '10.200.22.5', '10.200.22.6'];
const HOST_PUBLIC = '198.51.100.65'; // the stand-in host's end of the "internet" link
const SERVER = '198.51.100.66';
const SERVER_PORT = 8080;
const PEER_PORT = 8081;

function status(r: RunResult): string {
  return `exit status ${r.code ?? r.signal}${r.stderr.trim() ? `, stderr: ${r.stderr.trim().slice(0, 300)}` : ''}`;
}

/** The first IPv4 address on the program's stdout (with or without a prefix length). */
function printedAddress(r: RunResult): string | null {
  return /\b(\d+\.\d+\.\d+\.\d+)(?:\/\d+)?\b/.exec(r.stdout)?.[1] ?? null;
}

/** What one container namespace holds: its veths, the address on the first one, where its peer is. */
async function container(ns: string, host: string) {
  const veths = (await netLinks(ns)).filter((l) => l.linkinfo?.info_kind === 'veth');
  const v = veths[0];
  const addrs = v ? await ipv4Addresses(ns, v.ifname) : [];
  const peer = v ? await vethPeer(ns, v.ifname) : null;
  const routes = await ipJson<{ dst: string; gateway?: string }[]>(['route'], ns).catch(() => []);
  return {
    ns,
    veths: veths.map((l) => l.ifname),
    up: v?.operstate === 'UP',
    addrs,
    address: addrs[0]?.split('/')[0] ?? null,
    master: peer && peer.netns === host ? (peer.link.master ?? '(no bridge)') : null,
    defaultVia: routes.find((r) => r.dst === 'default')?.gateway ?? null,
  };
}

export default defineCheck(async (t) => {
  const host = await testNetns(t, 'dnh');
  const inet = await testNetns(t, 'dni');
  const ext = t.name('dne');
  const sh = (ns: string, args: string[]) => t.sh('ip', ['-n', ns, ...args]);
  // The "internet": one server behind the host's ext link. It knows only its own /26, so
  // only NAT can bring replies to the containers back.
  await t.sh('ip', ['link', 'add', ext, 'netns', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', inet]);
  await sh(host, ['addr', 'add', `${HOST_PUBLIC}/26`, 'dev', ext]);
  await sh(host, ['link', 'set', ext, 'up']);
  await sh(inet, ['addr', 'add', `${SERVER}/26`, 'dev', 'eth0']);
  await sh(inet, ['link', 'set', 'eth0', 'up']);
  // A host as Docker leaves it, and many firewalls: not yet a router, FORWARD policy DROP.
  await writeSysctl(t, host, 'net/ipv4/ip_forward', '0');
  await inNetns(t, host, 'iptables', ['-P', 'FORWARD', 'DROP']);
  await identityServer(t, inet, SERVER, SERVER_PORT, 'internet');
  const c: string[] = [];
  for (let i = 0; i < 7; i++) c.push(await testNetns(t, 'dnc'));

  const name = t.name('dn'); // the network, and so its bridge
  const state = join(t.tmp, 'state');
  const dn = (args: string[]) => runInNetns(t, host, ['--state-dir', state, ...args]);
  const look = (ns: string) => container(ns, host);

  // --- create ---
  const cr = await dn(['create', name, SUBNET]);
  t.must({
    id: 'create-succeeds',
    title: `\`docker-net --state-dir DIR create ${name} ${SUBNET}\` exits with status 0`,
    pass: cr.code === 0,
    expected: 'exit status 0',
    observed: status(cr),
    hint: 'Return an error (non-zero exit) only when something really failed; print what ip or iptables said.',
  });

  const br = await netLink(host, name);
  const brAddrs = br ? await ipv4Addresses(host, name) : [];
  t.must({
    id: 'bridge-up',
    title: `A bridge ${name}, up, holds the gateway address ${GATEWAY}/29`,
    pass: br?.linkinfo?.info_kind === 'bridge' && br.flags.includes('UP') && brAddrs.includes(`${GATEWAY}/29`),
    expected: `link ${name} of kind bridge, UP, with ${GATEWAY}/29 (the subnet's first address)`,
    observed: !br
      ? `no link ${name} in the host`
      : `${name}: kind ${br.linkinfo?.info_kind ?? '(none)'}, ${br.flags.includes('UP') ? 'UP' : 'down'}, addresses ${brAddrs.join(' ') || '(none)'}`,
    hint: `\`ip link add ${name} type bridge\`, \`ip addr add ${GATEWAY}/29 dev ${name}\`, \`ip link set ${name} up\`: the bridge is the containers' gateway.`,
  });

  const fwd = await readSysctl(t, host, 'net/ipv4/ip_forward');
  t.assert({
    id: 'ip-forward-on',
    title: 'The host forwards packets (net.ipv4.ip_forward = 1)',
    pass: fwd === '1',
    expected: '1',
    observed: fwd ?? '(unreadable)',
    hint: 'Write 1 to /proc/sys/net/ipv4/ip_forward in create: without it, nothing from the containers goes further than the host.',
  });

  const post = chainRules(await iptablesSave(t, host, 'nat'), 'POSTROUTING');
  const masq = post.filter((r) => r.target === 'MASQUERADE' && ruleOption(r, '-s', '--source')?.value === SUBNET && !ruleOption(r, '-s', '--source')?.negated);
  t.assert({
    id: 'masquerade-rule',
    title: `nat POSTROUTING masquerades ${SUBNET}`,
    pass: masq.length > 0,
    expected: `-A POSTROUTING -s ${SUBNET} ! -o ${name} -j MASQUERADE`,
    observed: post.length ? post.map((r) => r.line).join('; ') : '(no POSTROUTING rules)',
    hint: `\`iptables -t nat -A POSTROUTING -s ${SUBNET} ! -o ${name} -j MASQUERADE\`.`,
  });

  // --- connect three ---
  const printed: (string | null)[] = [];
  const runs: RunResult[] = [];
  for (const ns of c.slice(0, 3)) {
    const r = await dn(['connect', name, ns]);
    runs.push(r);
    printed.push(printedAddress(r));
  }
  const failedRun = runs.findIndex((r) => r.code !== 0 || printedAddress(r) === null);
  t.must({
    id: 'connect-succeeds',
    title: `\`docker-net connect ${name} <netns>\` works for three namespaces and prints each address`,
    pass: failedRun < 0,
    expected: 'exit status 0 and an address (e.g. 10.200.22.2/29) on stdout, three times',
    observed: failedRun < 0 ? printed.join(', ') : `for ${c[failedRun]}: ${status(runs[failedRun]!)}; stdout: ${runs[failedRun]!.stdout.trim() || '(empty)'}`,
    hint: 'connect: allocate an address, create the veth pair, configure eth0 in the namespace, save the state, print the address.',
  });

  const ctrs = [await look(c[0]!), await look(c[1]!), await look(c[2]!)];
  const inPool = (a: string | null) => a !== null && POOL.includes(a);
  const badAddr = ctrs
    .map((x, i) => {
      if (x.veths.length !== 1) return `${x.ns}: ${x.veths.length} veths (${x.veths.join(', ') || 'none'})`;
      if (x.addrs.length !== 1 || !x.addrs[0]!.endsWith('/29') || !inPool(x.address))
        return `${x.ns}: ${x.addrs.join(' ') || 'no address'}${x.address === GATEWAY ? ' (the gateway!)' : x.address === NETWORK_ADDR || x.address === BROADCAST ? ' (the network or broadcast address)' : ''}`;
      if (!x.up) return `${x.ns}: ${x.veths[0]} is not UP`;
      if (x.address !== printed[i]) return `${x.ns}: has ${x.address}, but connect printed ${printed[i]}`;
      return '';
    })
    .filter(Boolean);
  t.assert({
    id: 'addresses-assigned',
    title: 'Each namespace has one veth, up, with the printed address from the subnet (/29)',
    pass: badAddr.length === 0,
    expected: `one address of ${POOL[0]}–${POOL[4]} with /29 in each, not ${NETWORK_ADDR}, ${GATEWAY} or ${BROADCAST}, equal to what connect printed`,
    observed: badAddr.join('; ') || ctrs.map((x) => `${x.ns}: ${x.addrs[0]}`).join(', '),
    hint: 'Hand out host addresses after the gateway: the network address (all zeros) and the broadcast address (all ones) are not for hosts. Give eth0 the prefix length of the subnet.',
  });

  const addrs = ctrs.map((x) => x.address);
  const distinct = new Set(addrs.filter(Boolean)).size === 3;
  t.assert({
    id: 'addresses-distinct',
    title: 'The three namespaces got three different addresses',
    pass: distinct,
    expected: 'three distinct addresses',
    observed: ctrs.map((x) => `${x.ns}: ${x.address ?? '(none)'}`).join(', '),
    hint: 'Each connect is a new process: what was handed out must be read from the state file and written back to it, or the next one starts from scratch and hands out the same address again.',
  });

  const notOnBridge = ctrs.filter((x) => x.master !== name);
  t.assert({
    id: 'on-bridge',
    title: `Each namespace's veth is paired with a port of ${name} in the host`,
    pass: notOnBridge.length === 0,
    expected: `the peer of each container's veth is in the host, master ${name}`,
    observed: notOnBridge.length ? notOnBridge.map((x) => `${x.ns}: ${x.master === null ? 'peer not in the host' : `peer's master ${x.master}`}`).join('; ') : 'all on the bridge',
    hint: `\`ip link add <host-end> type veth peer name eth0 netns <netns>\`, then \`ip link set <host-end> master ${name} up\`.`,
  });

  const noRoute = ctrs.filter((x) => x.defaultVia !== GATEWAY);
  t.assert({
    id: 'default-route',
    title: `Each namespace routes everything else via ${GATEWAY}`,
    pass: noRoute.length === 0,
    expected: `default via ${GATEWAY} in each`,
    observed: noRoute.length ? noRoute.map((x) => `${x.ns}: ${x.defaultVia ? `default via ${x.defaultVia}` : 'no default route'}`).join('; ') : 'all have it',
    hint: `\`ip -n <netns> route add default via ${GATEWAY}\`, after eth0 is up (the gateway must be on-link).`,
  });

  // Traffic. Only meaningful with distinct addresses; the pings say so themselves if not.
  const pairs: [number, number][] = [
    [0, 1],
    [0, 2],
    [1, 2],
  ];
  const failedPings: string[] = [];
  for (const [a, b] of pairs) {
    const to = ctrs[b]!.address;
    if (!to) {
      failedPings.push(`${c[b]} has no address`);
      continue;
    }
    const p = await ping(t, c[a]!, to, 2);
    if (!p.ok) failedPings.push(`${c[a]} → ${to} (${c[b]}): no reply`);
  }
  t.assert({
    id: 'containers-reach-each-other',
    title: 'The three namespaces ping each other across the bridge',
    pass: failedPings.length === 0,
    expected: 'replies between every pair',
    observed: failedPings.join('; ') || 'all replied',
    hint: `Are the host ends up and ports of ${name}? With br_netfilter loaded, bridged frames also cross the host's FORWARD chain (policy DROP here): accept what comes in from ${name} (\`iptables -I FORWARD -i ${name} -j ACCEPT\`).`,
  });

  // Between containers the addresses must stay as they are: NAT is for leaving the network.
  let peerSeen: string | null = null;
  let peerError = '';
  const third = ctrs[2]!.address;
  if (third && distinct) {
    await identityServer(t, c[2]!, third, PEER_PORT, 'container');
    const rq = await tcpRequest(t, c[0]!, third, PEER_PORT);
    peerSeen = rq.reply?.peer ?? null;
    peerError = rq.error;
  }
  const broad = masq.filter((r) => {
    const o = ruleOption(r, '-o', '--out-interface');
    return !o || (!o.negated && o.value === name) || (o.negated && o.value !== name);
  });
  t.assert({
    id: 'peer-address-kept',
    title: `A container connecting to another is seen with its own address (${ctrs[0]!.address}), not NATed`,
    pass: peerSeen !== null && peerSeen === ctrs[0]!.address && broad.length === 0,
    expected: `the server in ${c[2]} saw ${ctrs[0]!.address}; the MASQUERADE rule excludes traffic leaving by ${name} (! -o ${name})`,
    observed:
      peerSeen === null
        ? `no connection (${peerError || 'the containers have no distinct addresses'})`
        : peerSeen !== ctrs[0]!.address
          ? `it saw ${peerSeen}: the connection was masqueraded on its way across the bridge`
          : `it saw ${peerSeen}, but this rule would rewrite traffic between containers wherever br_netfilter is loaded: ${broad.map((r) => r.line).join('; ')}`,
    hint: `Add \`! -o ${name}\` to the MASQUERADE rule. With br_netfilter, frames crossing the bridge pass nat POSTROUTING with -o ${name}, and a rule matching only -s ${SUBNET} rewrites them to the gateway's address: every container then sees every other one as ${GATEWAY}.`,
  });

  const outside: string[] = [];
  for (const x of ctrs) {
    const rq = await tcpRequest(t, x.ns, SERVER, SERVER_PORT);
    if (rq.reply?.peer !== HOST_PUBLIC) outside.push(`${x.ns}: ${rq.reply ? `the server saw ${rq.reply.peer}` : `no connection (${rq.error})`}`);
  }
  await t.snapshotTopology();
  t.assert({
    id: 'internet-via-nat',
    title: `Each namespace reaches the "internet" server ${SERVER}:${SERVER_PORT}, which sees the host's ${HOST_PUBLIC}`,
    pass: outside.length === 0,
    expected: `three connections, each seen coming from ${HOST_PUBLIC}`,
    observed: outside.join('; ') || 'all three, from the host address',
    hint:
      fwd !== '1'
        ? 'Forwarding is off: turn on net.ipv4.ip_forward in create.'
        : `Forwarding is two-way through a FORWARD chain whose policy is DROP: accept from ${name} out, and the replies back in (\`-o ${name} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\`); and masquerade ${SUBNET}.`,
  });

  const files = (() => {
    try {
      return readdirSync(state);
    } catch {
      return [];
    }
  })();
  t.assert({
    id: 'state-dir-used',
    title: 'The state is kept in the directory given with --state-dir',
    pass: files.length > 0,
    expected: `a file in ${state}`,
    observed: files.length ? files.join(', ') : `${state} is empty or missing: where did the state go?`,
    hint: 'Parse --state-dir before the subcommand (flag.Parse, then flag.Args()) and keep every network\'s state under it.',
  });

  // --- fill the pool, one too many ---
  const r4 = await dn(['connect', name, c[3]!]);
  const r5 = await dn(['connect', name, c[4]!]);
  const r6 = await dn(['connect', name, c[5]!]);
  const sixth = await look(c[5]!);
  t.assert({
    id: 'full-refused',
    title: `With all five addresses of ${SUBNET} taken, another connect fails and changes nothing`,
    pass: r4.code === 0 && r5.code === 0 && r6.code !== 0 && sixth.veths.length === 0,
    expected: `connects 4 and 5 succeed; the 6th exits non-zero, leaving ${c[5]} with no veth`,
    observed: `4th: ${status(r4)}; 5th: ${status(r5)}; 6th: ${status(r6)}${r6.code === 0 ? ` and printed ${r6.stdout.trim()}` : ''}; ${c[5]}: ${sixth.veths.length ? `${sixth.veths.join(', ')} ${sixth.addrs.join(' ')}` : 'no veth'}`,
    hint: `A /29 holds ${POOL.length} containers (${POOL[0]}–${POOL[4]}). When none is free, say so and exit non-zero before creating anything.`,
  });

  // --- disconnect the second one ---
  const freed = ctrs[1]!.address;
  const dr = await dn(['disconnect', name, c[1]!]);
  const after = await look(c[1]!);
  const ports = (await netLinks(host)).filter((l) => l.master === name);
  t.assert({
    id: 'disconnect-removes',
    title: `\`docker-net disconnect ${name} ${c[1]}\` removes its interface`,
    pass: dr.code === 0 && after.veths.length === 0 && ports.length === 4,
    expected: `exit status 0; no veth left in ${c[1]}; 4 ports left on ${name}`,
    observed: `${status(dr)}; ${c[1]}: ${after.veths.join(', ') || 'no veth'}; ports on ${name}: ${ports.map((l) => l.ifname).join(', ') || 'none'}`,
    hint: 'Delete the host end of the pair (`ip link delete <host-end>`): the kernel deletes its peer, eth0 in the namespace, with it.',
  });

  const r7 = await dn(['connect', name, c[6]!]);
  const seventh = await look(c[6]!);
  t.assert({
    id: 'disconnect-frees',
    title: `The freed address (${freed}) is handed out again: the only free one`,
    pass: r7.code === 0 && freed !== null && seventh.address === freed,
    expected: `connect ${c[6]} succeeds and gets ${freed}`,
    observed: `${status(r7)}; ${c[6]}: ${seventh.address ?? 'no address'}`,
    hint: 'disconnect must remove the endpoint from the saved state, so its address is free again.',
  });

  // --- rm ---
  const rr = await dn(['rm', name]);
  const stillBr = await netLink(host, name);
  t.assert({
    id: 'rm-removes-bridge',
    title: `\`docker-net rm ${name}\` deletes the bridge`,
    pass: rr.code === 0 && stillBr === null,
    expected: `exit status 0; no link ${name} any more`,
    observed: `${status(rr)}; ${stillBr ? `${name} is still there` : `${name} is gone`}`,
    hint: `\`ip link delete ${name}\`.`,
  });

  const leftover: string[] = [];
  for (const ns of [c[0]!, c[2]!, c[3]!, c[4]!, c[6]!]) {
    const x = await look(ns);
    if (x.veths.length) leftover.push(`${ns}: ${x.veths.join(', ')}`);
  }
  const hostVeths = (await netLinks(host)).filter((l) => l.linkinfo?.info_kind === 'veth' && l.ifname !== ext).map((l) => l.ifname);
  t.assert({
    id: 'rm-removes-endpoints',
    title: 'rm disconnects what was still connected',
    pass: leftover.length === 0 && hostVeths.length === 0,
    expected: 'no veth of the network left, in the namespaces or the host',
    observed: leftover.length || hostVeths.length ? [...leftover, hostVeths.length ? `host: ${hostVeths.join(', ')}` : ''].filter(Boolean).join('; ') : 'none left',
    hint: 'Deleting a bridge only detaches its ports: delete the host end of every endpoint still in the state.',
  });

  const dump = (await inNetns(t, host, 'iptables-save', [], { allowFail: true })).stdout.split('\n').filter((l) => l.startsWith('-A '));
  const mentions = dump.filter((l) => l.includes(SUBNET) || l.includes(name));
  t.assert({
    id: 'rm-removes-rules',
    title: `rm deletes its iptables rules: nothing mentions ${SUBNET} or ${name} any more`,
    pass: mentions.length === 0,
    expected: `no rule with ${SUBNET} or ${name} in iptables-save`,
    observed: mentions.join('; ') || 'none left',
    hint: 'Delete every rule create added, in every table (`iptables -t nat -D POSTROUTING …`, `iptables -D FORWARD …`): keep them in the state so rm knows them exactly.',
  });
});
