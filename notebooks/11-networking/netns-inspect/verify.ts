// netns-inspect: the check builds a namespace whose contents it knows — a veth to a second
// namespace, a bridge with a veth port, addresses, a default and two more routes, iptables
// rules in two tables — and compares what the program reports with what `ip -json` and
// iptables-save, run in that namespace, say.
import { defineCheck, inNetns, ipJson, iptablesSave, testNetns, type RunResult } from '../../../kernels/check/index.ts';

interface IpLink {
  ifname: string;
  operstate: string;
  link_type: string;
  address?: string;
  linkinfo?: { info_kind?: string };
}
interface IpAddr {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
}

interface Reported {
  interfaces?: { name?: unknown; type?: unknown; state?: unknown; mac?: unknown; addresses?: unknown }[];
  routes?: { dst?: unknown; gateway?: unknown; dev?: unknown }[];
  iptables?: Record<string, unknown>;
}

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '(missing)' : JSON.stringify(v));

/** "default", "0.0.0.0/0" -> "default"; "10.0.0.1" -> "10.0.0.1/32" (ip drops a /32's length). */
function normDst(dst: string): string {
  if (dst === 'default' || dst === '0.0.0.0/0') return 'default';
  return dst.includes('/') ? dst : `${dst}/32`;
}

const routeText = (r: { dst: string; gateway?: string; dev?: string }) =>
  [normDst(r.dst), r.gateway ? `via ${r.gateway}` : '', r.dev ? `dev ${r.dev}` : ''].filter(Boolean).join(' ');

function status(r: RunResult): string {
  return `exit status ${r.code ?? r.signal}${r.stderr.trim() ? `, stderr: ${r.stderr.trim().slice(0, 300)}` : ''}`;
}

export default defineCheck(async (t) => {
  // The namespace under inspection, X, and the other end of its veth, Y.
  const x = await testNetns(t, 'nix');
  const y = await testNetns(t, 'niy');
  const veth = t.name('niv'); // in X, peer in Y
  const peer = t.name('niw');
  const br = t.name('nib'); // a bridge in X
  const port = t.name('nip'); // a veth in X, port of the bridge
  const portPeer = t.name('niq'); // its peer, also in X, left down
  const ipx = (args: string[]) => t.sh('ip', ['-n', x, ...args]);
  await t.sh('ip', ['link', 'add', veth, 'netns', x, 'type', 'veth', 'peer', 'name', peer, 'netns', y]);
  await ipx(['link', 'add', br, 'type', 'bridge']);
  await ipx(['link', 'add', port, 'type', 'veth', 'peer', 'name', portPeer]);
  await ipx(['link', 'set', port, 'master', br]);
  for (const l of [veth, br, port]) await ipx(['link', 'set', l, 'up']);
  await t.sh('ip', ['-n', y, 'link', 'set', peer, 'up']);
  await ipx(['addr', 'add', '10.200.23.2/26', 'dev', veth]);
  await ipx(['addr', 'add', '10.200.23.3/26', 'dev', veth]);
  await ipx(['addr', 'add', '10.200.23.129/26', 'dev', br]);
  await ipx(['route', 'add', 'default', 'via', '10.200.23.1', 'dev', veth]);
  await ipx(['route', 'add', '10.200.23.192/27', 'via', '10.200.23.1', 'dev', veth]);
  await ipx(['route', 'add', '10.200.23.250/32', 'dev', veth]);
  await inNetns(t, x, 'iptables', ['-A', 'INPUT', '-s', '10.200.23.1', '-p', 'tcp', '--dport', '22', '-j', 'DROP']);
  await inNetns(t, x, 'iptables', ['-t', 'nat', '-A', 'POSTROUTING', '-s', '10.200.23.128/26', '-j', 'MASQUERADE']);
  // The veth's operational state follows its peer's carrier a moment later: let it settle.
  await t.waitFor(async () => (await ipJson<IpLink[]>(['link', 'show', 'dev', veth], x))[0]?.operstate === 'UP', 3000);

  // What the kernel says, read the way `ip` and iptables-save read it.
  const links = await ipJson<IpLink[]>(['-d', 'link'], x);
  const addrs = await ipJson<IpAddr[]>(['addr'], x);
  const ipRoutes = await ipJson<IpRoute[]>(['route'], x);
  const rules = { filter: await iptablesSave(t, x, 'filter'), nat: await iptablesSave(t, x, 'nat') };
  const kindOf = (l: IpLink) => l.linkinfo?.info_kind ?? l.link_type;
  const v4 = (name: string) =>
    (addrs.find((a) => a.ifname === name)?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
  await t.snapshotTopology();

  // --json
  const j = await t.run([x, '--json']);
  let rep: Reported | null = null;
  let parseError = '';
  try {
    rep = JSON.parse(j.stdout) as Reported;
  } catch (err) {
    parseError = (err as Error).message;
  }
  t.must({
    id: 'json-runs',
    title: `\`netns-inspect ${x} --json\` prints a JSON object with an "interfaces" list`,
    pass: j.code === 0 && rep !== null && Array.isArray(rep.interfaces),
    expected: 'exit status 0 and {"interfaces": [...], "routes": [...], "iptables": {...}} on stdout',
    observed:
      j.code !== 0
        ? status(j)
        : rep === null
          ? `stdout is not JSON (${parseError}): ${j.stdout.trim().slice(0, 200) || '(empty)'}`
          : `no "interfaces" list in: ${j.stdout.trim().slice(0, 200)}`,
    hint: 'With --json, print one JSON document (encoding/json) following the schema in the lesson, and nothing else on stdout.',
  });
  const ifs = rep!.interfaces!;
  const byName = new Map(ifs.map((i) => [str(i.name), i]));

  const wantNames = links.map((l) => l.ifname).sort();
  const gotNames = [...byName.keys()].sort();
  const missing = wantNames.filter((n) => !byName.has(n));
  const extra = gotNames.filter((n) => !wantNames.includes(n));
  t.must({
    id: 'json-interfaces',
    title: `It lists exactly the interfaces inside ${x}`,
    pass: missing.length === 0 && extra.length === 0,
    expected: wantNames.join(', '),
    observed:
      missing.length === wantNames.length - 1 && !missing.includes('lo')
        ? `${gotNames.join(', ')}: that is not ${x}, these are the interfaces of the namespace your program runs in (the host's)`
        : `${gotNames.join(', ') || '(none)'}${missing.length ? `; missing: ${missing.join(', ')}` : ''}${extra.length ? `; not in ${x}: ${extra.join(', ')}` : ''}`,
    hint: `Join the namespace (setns(2) on /run/netns/${x}) on a locked thread, and open the netlink sockets — make every dump — from that same goroutine: a goroutine started afterwards runs on another thread, in the host's namespace.`,
  });

  const mismatches = (field: string, want: (l: IpLink) => string, got: (i: NonNullable<Reported['interfaces']>[number]) => unknown) =>
    links
      .map((l) => ({ l, g: str(got(byName.get(l.ifname)!)) }))
      .filter(({ l, g }) => g.toLowerCase() !== want(l).toLowerCase())
      .map(({ l, g }) => `${l.ifname}: ${field} ${g} (the kernel says ${want(l)})`);

  const badTypes = mismatches('type', kindOf, (i) => i.type);
  t.assert({
    id: 'json-types',
    title: 'Each interface has its type: the link kind (veth, bridge), or loopback/ether',
    pass: badTypes.length === 0,
    expected: links.map((l) => `${l.ifname}: ${kindOf(l)}`).join(', '),
    observed: badTypes.join('; ') || 'all match',
    hint: 'The kind is IFLA_INFO_KIND, nested inside the IFLA_LINKINFO attribute of RTM_NEWLINK; links without one (lo) take their ARPHRD link type from ifinfomsg.ifi_type (772 loopback, 1 ether).',
  });

  const badStates = mismatches('state', (l) => l.operstate, (i) => i.state);
  t.assert({
    id: 'json-states',
    title: 'Each interface has its operational state (UP, DOWN, LOWERLAYERDOWN, UNKNOWN)',
    pass: badStates.length === 0,
    expected: links.map((l) => `${l.ifname}: ${l.operstate}`).join(', '),
    observed: badStates.join('; ') || 'all match',
    hint: "Report IFLA_OPERSTATE (RFC 2863: 0 UNKNOWN, 2 DOWN, 3 LOWERLAYERDOWN, 6 UP…), not the IFF_UP flag: a link set up can still be down (no carrier, its peer down), and lo is UNKNOWN.",
  });

  const badMacs = mismatches('mac', (l) => l.address ?? '', (i) => i.mac);
  t.assert({
    id: 'json-macs',
    title: 'Each interface has its MAC address',
    pass: badMacs.length === 0,
    expected: links.map((l) => `${l.ifname}: ${l.address}`).join(', '),
    observed: badMacs.join('; ') || 'all match',
    hint: 'The MAC is the IFLA_ADDRESS attribute; net.HardwareAddr(b).String() formats it as aa:bb:cc:dd:ee:ff.',
  });

  const badAddrs = links
    .map((l) => {
      const want = v4(l.ifname).sort();
      const raw = byName.get(l.ifname)!.addresses;
      const got = (Array.isArray(raw) ? raw.map(str) : []).filter((a) => /^\d+\.\d+\.\d+\.\d+/.test(a)).sort();
      return JSON.stringify(got) === JSON.stringify(want) ? '' : `${l.ifname}: ${got.join(' ') || '(none)'} (the kernel has ${want.join(' ') || 'none'})`;
    })
    .filter(Boolean);
  t.assert({
    id: 'json-addresses',
    title: 'Each interface lists its IPv4 addresses with their prefix length',
    pass: badAddrs.length === 0,
    expected: links.map((l) => `${l.ifname}: ${v4(l.ifname).join(' ') || 'none'}`).join(', '),
    observed: badAddrs.join('; ') || 'all match',
    hint: 'Dump RTM_GETADDR; each RTM_NEWADDR carries the interface index and prefix length in ifaddrmsg and the address in IFA_LOCAL. Write them as CIDR: 10.200.23.2/26, every address of the interface.',
  });

  const gotRoutes = (Array.isArray(rep!.routes) ? rep!.routes : []).map((r) =>
    routeText({ dst: str(r.dst), gateway: typeof r.gateway === 'string' && r.gateway ? r.gateway : undefined, dev: typeof r.dev === 'string' && r.dev ? r.dev : undefined }),
  );
  const missingRoutes = ipRoutes.map(routeText).filter((r) => !gotRoutes.includes(r));
  t.assert({
    id: 'json-routes',
    title: 'Every route of the main table is listed with its destination, gateway and device',
    pass: missingRoutes.length === 0,
    expected: ipRoutes.map(routeText).join('; '),
    observed: missingRoutes.length ? `missing: ${missingRoutes.join('; ')}; listed: ${gotRoutes.join('; ') || '(none)'}` : 'all listed',
    hint: 'Dump RTM_GETROUTE (AF_INET) and keep the main table (rtm_table or RTA_TABLE = 254): RTA_DST with rtm_dst_len ("default" when 0), RTA_GATEWAY, and RTA_OIF turned into the interface name.',
  });

  const tables = rep!.iptables && typeof rep!.iptables === 'object' ? rep!.iptables : {};
  const missingRules = Object.entries(rules).flatMap(([table, lines]) => {
    const got = Array.isArray(tables[table]) ? (tables[table] as unknown[]).map((r) => str(r).trim()) : [];
    return lines.filter((l) => !got.includes(l)).map((l) => `${table}: ${l}`);
  });
  t.assert({
    id: 'json-iptables',
    title: `The iptables rules inside ${x} are listed, per table`,
    pass: missingRules.length === 0,
    expected: Object.entries(rules).flatMap(([table, lines]) => lines.map((l) => `${table}: ${l}`)).join('; '),
    observed: missingRules.length ? `missing: ${missingRules.join('; ')}; "iptables" was ${JSON.stringify(rep!.iptables ?? null).slice(0, 300)}` : 'all listed',
    hint: 'Run iptables-save from the thread that joined the namespace (a child is forked from the calling thread and inherits its namespaces) and keep the "-A …" lines under their "*table".',
  });

  // The human-readable form: everything above must at least be mentioned.
  const h = await t.run([x]);
  const text = h.stdout.replace(/\s+/g, ' ');
  const mentions = (s: string) => text.includes(s);
  const missingHuman = [
    ...links.map((l) => l.ifname).filter((n) => !mentions(n)),
    ...links.flatMap((l) => v4(l.ifname)).filter((a) => !mentions(a)),
  ];
  t.assert({
    id: 'human-interfaces',
    title: `\`netns-inspect ${x}\` shows each interface and its addresses (with prefix length)`,
    pass: h.code === 0 && missingHuman.length === 0,
    expected: `exit status 0; mentions ${links.map((l) => [l.ifname, ...v4(l.ifname)].join(' ')).join(', ')}`,
    observed: h.code !== 0 ? status(h) : missingHuman.length ? `not mentioned: ${missingHuman.join(', ')}` : 'all mentioned',
    hint: 'Without --json, print the same report for a person: one line per interface, its addresses as CIDR.',
  });
  const missingHumanRoutes = ipRoutes.filter(
    (r) => !(mentions(r.dst) || mentions(normDst(r.dst))) || (r.gateway && !mentions(r.gateway)),
  );
  t.assert({
    id: 'human-routes',
    title: 'It shows each route (destination and gateway)',
    pass: h.code === 0 && missingHumanRoutes.length === 0,
    expected: ipRoutes.map((r) => [r.dst, r.gateway].filter(Boolean).join(' via ')).join('; '),
    observed: h.code !== 0 ? status(h) : missingHumanRoutes.length ? `not mentioned: ${missingHumanRoutes.map(routeText).join('; ')}` : 'all mentioned',
    hint: 'Print each route like ip route does: "default via 10.200.23.1 dev …", "10.200.23.0/26 dev …".',
  });
  const missingHumanRules = Object.values(rules)
    .flat()
    .filter((l) => !mentions(l.replace(/\s+/g, ' ')));
  t.assert({
    id: 'human-iptables',
    title: 'It shows the iptables rules',
    pass: h.code === 0 && missingHumanRules.length === 0,
    expected: Object.values(rules).flat().join('; '),
    observed: h.code !== 0 ? status(h) : missingHumanRules.length ? `not shown: ${missingHumanRules.join('; ')}` : 'all shown',
    hint: 'Print the rules as iptables-save writes them, under their table.',
  });

  const nowhere = t.name('nin');
  const m = await t.run([nowhere, '--json']);
  t.assert({
    id: 'missing-netns-fails',
    title: `\`netns-inspect ${nowhere}\` (no such namespace) fails with a message`,
    pass: m.code !== 0 && m.stderr.trim() !== '',
    expected: 'a non-zero exit status and an error on stderr',
    observed: status(m) + (m.code === 0 ? `; stdout: ${m.stdout.trim().slice(0, 150)}` : ''),
    hint: `Open /run/netns/<name> before anything else and stop when it does not exist: never fall back to the namespace you are in.`,
  });
});
