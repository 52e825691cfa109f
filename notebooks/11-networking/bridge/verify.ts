import { defineCheck, inNetns, ipv4Addresses, netLink, ping, runInNetns, testNetns } from '../../../kernels/check/index.ts';

const SUBNET = '10.200.18.0/24';
const GATEWAY = '10.200.18.1/24';
const FORWARD = '/proc/sys/net/ipv4/ip_forward';

const pingSummary = (output: string) => output.split('\n').filter((l) => /transmitted|bytes from|unreachable/i.test(l)).join('; ') || output;

export default defineCheck(async (t) => {
  // A namespace of our own stands in for the host: the bridge, its address and the
  // forwarding switch are that namespace's, and so the check's alone (ip_forward is per
  // network namespace). It starts with forwarding off, so that only the program can turn it on.
  const host = await testNetns(t, 'lxh');
  await inNetns(t, host, 'sysctl', ['-qw', 'net.ipv4.ip_forward=0']);
  const br = t.name('lxbr');

  const r = await runInNetns(t, host, [br, SUBNET]);
  t.must({
    id: 'bridge-succeeds',
    title: `\`${r.command}\` exits with status 0`,
    pass: r.code === 0,
    expected: 'exit status 0',
    observed: `exit status ${r.code ?? r.signal}${r.stderr.trim() ? `, stderr: ${r.stderr.trim()}` : ''}`,
    hint: 'Return an error (non-zero exit) only when something really failed.',
  });

  const link = await netLink(host, br);
  t.must({
    id: 'bridge-kind',
    title: `${br} is a bridge`,
    pass: link?.linkinfo?.info_kind === 'bridge',
    expected: 'an interface of kind bridge (ip -d link: "bridge")',
    observed: link ? `kind ${link.linkinfo?.info_kind ?? 'none (a plain device)'}` : `no interface named ${br}`,
    hint: `\`ip link add name ${br} type bridge\`.`,
  });

  const addrs = await ipv4Addresses(host, br);
  const onlyNet = addrs.some((a) => a.startsWith('10.200.18.0/'));
  t.assert({
    id: 'bridge-address',
    title: `${br} has the subnet's first host address, ${GATEWAY}`,
    pass: addrs.length === 1 && addrs[0] === GATEWAY,
    expected: `${GATEWAY} (and nothing else)`,
    observed: addrs.length ? addrs.join(', ') : 'no IPv4 address',
    hint: onlyNet
      ? '10.200.18.0 is the network address: it names the subnet. Hosts start at .1, and the bridge — the gateway — takes the first.'
      : addrs.some((a) => a.endsWith('/32'))
        ? 'Keep the prefix: 10.200.18.1/24. A /32 address gives no route to the rest of the subnet.'
        : `Add ${GATEWAY} to the bridge: \`ip addr add ${GATEWAY} dev ${br}\`.`,
  });

  t.assert({
    id: 'bridge-up',
    title: `${br} is up`,
    pass: link!.flags.includes('UP'),
    expected: 'flag UP (administratively up; operstate UNKNOWN or NO-CARRIER is normal without ports)',
    observed: `flags ${link!.flags.join(',') || '(none)'}, operstate ${link!.operstate}`,
    hint: `A new bridge is down, and a down bridge passes nothing between its ports: \`ip link set ${br} up\`.`,
  });

  const fwd = (await inNetns(t, host, 'cat', [FORWARD])).stdout.trim();
  t.assert({
    id: 'forwarding-on',
    title: 'IPv4 forwarding is on',
    pass: fwd === '1',
    expected: `${FORWARD} = 1`,
    observed: `${FORWARD} = ${fwd}`,
    hint: `Write 1 to ${FORWARD} (or \`sysctl -w net.ipv4.ip_forward=1\`). It is what lets the host route between the bridge and its other interfaces.`,
  });

  // Plug two test hosts into the bridge, as 5.19 will do for containers.
  const hosts: { ns: string; ifname: string; addr: string }[] = [];
  for (const [i, addr] of ['10.200.18.11/24', '10.200.18.12/24'].entries()) {
    const ns = await testNetns(t, `lxc${i}`);
    const port = t.name(`p${i}`);
    const ifname = t.name(`e${i}`);
    await t.sh('ip', ['link', 'add', port, 'netns', host, 'type', 'veth', 'peer', 'name', ifname, 'netns', ns]);
    await t.sh('ip', ['-n', host, 'link', 'set', port, 'master', br, 'up']);
    await t.sh('ip', ['-n', ns, 'addr', 'add', addr, 'dev', ifname]);
    await t.sh('ip', ['-n', ns, 'link', 'set', ifname, 'up']);
    hosts.push({ ns, ifname, addr });
  }
  const [a, b] = hosts as [(typeof hosts)[0], (typeof hosts)[0]];
  const across = await ping(t, a.ns, b.addr.split('/')[0]!, 2);
  t.assert({
    id: 'ports-reach-each-other',
    title: `Two hosts plugged into ${br} reach each other (${a.addr.split('/')[0]} → ${b.addr.split('/')[0]})`,
    pass: across.ok,
    expected: 'ping replies, switched by the bridge',
    observed: pingSummary(across.output),
    hint: 'The check attached two veths to your bridge (ip link set <port> master <bridge> up). A bridge that is down keeps its ports disabled.',
  });
  const gw = await ping(t, a.ns, GATEWAY.split('/')[0]!, 1);
  t.assert({
    id: 'gateway-answers',
    title: `From a host on the bridge, the gateway ${GATEWAY.split('/')[0]} answers ping`,
    pass: gw.ok,
    expected: 'a reply from the bridge address',
    observed: pingSummary(gw.output),
    hint: `The bridge itself must hold ${GATEWAY}, with its prefix, and be up.`,
  });
});
