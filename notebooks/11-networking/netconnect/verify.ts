import { defineCheck, ipJson, ipv4Addresses, netLink, netLinks, ping, runInNetns, testNetns, vethPeer } from '../../../kernels/check/index.ts';

const GATEWAY = '10.200.19.1';
const C1 = '10.200.19.2/24';
const C2 = '10.200.19.3/24';
/** An address of the host beyond the bridge's subnet: only a default route leads there. */
const BEYOND = '198.51.100.19';

const pingSummary = (output: string) => output.split('\n').filter((l) => /transmitted|bytes from|unreachable/i.test(l)).join('; ') || output;

interface Route {
  dst: string;
  gateway?: string;
  dev?: string;
}

export default defineCheck(async (t) => {
  // A namespace of our own stands in for the host: the bridge is made there, the program
  // runs there (ip netns exec), and the host end it creates, whatever its name, stays there.
  const host = await testNetns(t, 'lxh');
  const br = t.name('lxbr');
  await t.sh('ip', ['-n', host, 'link', 'add', 'name', br, 'type', 'bridge']);
  await t.sh('ip', ['-n', host, 'addr', 'add', `${GATEWAY}/24`, 'dev', br]);
  await t.sh('ip', ['-n', host, 'link', 'set', br, 'up']);
  await t.sh('ip', ['-n', host, 'addr', 'add', `${BEYOND}/32`, 'dev', 'lo']);
  const c1 = await testNetns(t, 'lxc');

  const r = await runInNetns(t, host, [c1, br, C1]);
  t.must({
    id: 'connect-succeeds',
    title: `\`${r.command}\` exits with status 0`,
    pass: r.code === 0,
    expected: 'exit status 0',
    observed: `exit status ${r.code ?? r.signal}${r.stderr.trim() ? `, stderr: ${r.stderr.trim()}` : ''}`,
    hint: 'Return an error (non-zero exit) only when something really failed.',
  });

  const eth0 = await netLink(c1, 'eth0');
  const others = (await netLinks(c1)).filter((l) => l.ifname !== 'lo');
  t.must({
    id: 'eth0-in-netns',
    title: `${c1} has a veth named eth0`,
    pass: eth0?.linkinfo?.info_kind === 'veth',
    expected: 'eth0, a veth, in the namespace (next to lo)',
    observed: eth0
      ? `eth0 is of kind ${eth0.linkinfo?.info_kind ?? 'none'}`
      : others.length
        ? `no eth0; the namespace has ${others.map((l) => `${l.ifname} (${l.linkinfo?.info_kind ?? 'device'})`).join(', ')}`
        : 'no interface but lo',
    hint: others.length
      ? 'Rename the container end: create it as `peer name eth0 netns <ns>`, or `ip -n <ns> link set <name> name eth0` (while it is down).'
      : 'Create a veth pair with one end in the namespace: `ip link add <host-end> type veth peer name eth0 netns <ns>`.',
  });

  const addrs = await ipv4Addresses(c1, 'eth0');
  t.assert({
    id: 'eth0-address',
    title: `eth0 has ${C1}`,
    pass: addrs.length === 1 && addrs[0] === C1,
    expected: C1,
    observed: addrs.length ? addrs.join(', ') : 'no IPv4 address',
    hint: `\`ip -n ${c1} addr add ${C1} dev eth0\`, with the prefix as given.`,
  });
  t.assert({
    id: 'eth0-up',
    title: 'eth0 is up',
    pass: eth0!.flags.includes('UP'),
    expected: 'flag UP',
    observed: `flags ${eth0!.flags.join(',') || '(none)'}, operstate ${eth0!.operstate}`,
    hint: `\`ip -n ${c1} link set eth0 up\`.`,
  });

  const peer = await vethPeer(c1, 'eth0');
  t.must({
    id: 'host-end-found',
    title: "eth0's peer is on the host side (where the program ran)",
    pass: peer?.netns === host,
    expected: `the other end of eth0 in ${host}`,
    observed: peer ? `its peer ${peer.link.ifname} is in ${peer.netns ?? 'the real host namespace'}` : 'no peer found for eth0',
    hint: 'Leave the other end of the pair where the program runs: only the container end moves.',
  });
  const hostEnd = peer!.link;
  t.assert({
    id: 'host-end-enslaved',
    title: `The host end ${hostEnd.ifname} is a port of ${br}`,
    pass: hostEnd.master === br,
    expected: `master ${br}`,
    observed: hostEnd.master ? `master ${hostEnd.master}` : 'no master: a loose interface, plugged into nothing',
    hint: `\`ip link set ${hostEnd.ifname} master ${br}\`.`,
  });
  t.assert({
    id: 'host-end-up',
    title: `The host end ${hostEnd.ifname} is up`,
    pass: hostEnd.flags.includes('UP'),
    expected: 'flag UP',
    observed: `flags ${hostEnd.flags.join(',') || '(none)'}, operstate ${hostEnd.operstate}`,
    hint: `\`ip link set ${hostEnd.ifname} up\`: a down port passes nothing.`,
  });

  const routes = await ipJson<Route[]>(['-4', 'route', 'show', 'table', 'main'], c1).catch(() => [] as Route[]);
  const defaults = routes.filter((x) => x.dst === 'default');
  t.assert({
    id: 'default-route',
    title: `${c1}'s default route goes via the bridge address: default via ${GATEWAY} dev eth0`,
    pass: defaults.length === 1 && defaults[0]!.gateway === GATEWAY && defaults[0]!.dev === 'eth0',
    expected: `default via ${GATEWAY} dev eth0`,
    observed: `routes: ${routes.map((x) => [x.dst, x.gateway && `via ${x.gateway}`, x.dev && `dev ${x.dev}`].filter(Boolean).join(' ')).join('; ') || '(none)'}`,
    hint: `\`ip -n ${c1} route add default via ${GATEWAY} dev eth0\`, once eth0 has its address and is up. Read the gateway from the bridge (\`ip -json addr show dev ${br}\`).`,
  });

  const gw = await ping(t, c1, GATEWAY, 1);
  t.assert({
    id: 'gateway-answers',
    title: `From ${c1}, the bridge address ${GATEWAY} answers ping`,
    pass: gw.ok,
    expected: 'a reply',
    observed: pingSummary(gw.output),
    hint: 'The host end must be a port of the bridge and up; eth0 up with its address.',
  });
  const beyond = await ping(t, c1, BEYOND, 1);
  t.assert({
    id: 'default-route-works',
    title: `From ${c1}, ${BEYOND} (an address of the host outside the subnet) answers through the gateway`,
    pass: beyond.ok,
    expected: 'a reply, routed via the default route',
    observed: pingSummary(beyond.output),
    hint: 'Without a default route, nothing outside 10.200.19.0/24 is reachable ("Network is unreachable").',
  });

  // A second container on the same bridge: the host end needs a name of its own.
  const c2 = await testNetns(t, 'lxd');
  const r2 = await runInNetns(t, host, [c2, br, C2]);
  t.must({
    id: 'second-connect-succeeds',
    title: `A second container: \`${r2.command}\` exits with status 0`,
    pass: r2.code === 0,
    expected: 'exit status 0',
    observed: `exit status ${r2.code ?? r2.signal}${r2.stderr.trim() ? `, stderr: ${r2.stderr.trim()}` : ''}`,
    hint: 'Every container gets a host end of its own: give each a unique name (Docker: "veth" + random hex), at most 15 characters.',
  });
  const across = await ping(t, c1, C2.split('/')[0]!, 2);
  t.assert({
    id: 'containers-reach-each-other',
    title: `The two containers reach each other through ${br} (${C1.split('/')[0]} → ${C2.split('/')[0]})`,
    pass: across.ok,
    expected: 'ping replies',
    observed: pingSummary(across.output),
    hint: 'Both host ends must be ports of the bridge and up.',
  });
});
