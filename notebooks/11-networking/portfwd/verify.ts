import {
  ipIn,
  chainRules,
  defineCheck,
  identityServer,
  iptablesSave,
  ping,
  readSysctl,
  ruleOption,
  runInNetns,
  tcpRequest,
  testNetns,
  writeSysctl,
  type CheckContext,
  type IptablesRule,
} from '../../../kernels/check/index.ts';

// The containers' bridge network, and the link to the outside world.
const GATEWAY = '10.200.21.1';
const CONTAINER = '10.200.21.2';
const CONTAINER_PORT = 8080;
const OTHER_CONTAINER = '10.200.21.3';
const HOST_ADDR = '198.51.100.21';
const OUTSIDE = '198.51.100.121';
const HOST_PORT = 18021;
const TARGET = `${CONTAINER}:${CONTAINER_PORT}`;

const ME = 'container';
const OTHER = 'other container';
const OUTSIDE_ID = 'outside host';

const show = (rules: IptablesRule[]) => (rules.length ? rules.map((r) => r.line).join('; ') : '(none)');

type Reply = Awaited<ReturnType<typeof tcpRequest>>;
const refused = (r: Reply) =>
  r.error.includes('ECONNREFUSED') ? `Refused: the connection reached a port where nothing listens: either nothing rewrote it (so the host's own port ${HOST_PORT}), or it was sent to a port the container does not serve.` : '';
const answered = (r: Reply) => (r.reply ? `the ${r.reply.id} answered (it saw ${r.reply.peer})` : `no answer (${r.error})`);

/** DNAT rules a packet entering chain can meet for the host port. */
function dnatFor(lines: string[], chain: string): IptablesRule[] {
  return chainRules(lines, chain).filter((r) => r.target === 'DNAT' && ruleOption(r, '--dport', '--destination-port')?.value === String(HOST_PORT));
}

function dnatRight(rules: IptablesRule[]): boolean {
  return rules.some((r) => ruleOption(r, '-p', '--protocol')?.value === 'tcp' && ruleOption(r, '--to-destination')?.value === TARGET);
}

export default defineCheck(async (t) => {
  // A namespace of our own stands in for the host: your program's rules and sysctls land in
  // it and go with it.
  const host = await testNetns(t, 'lxh');
  const ctr = await testNetns(t, 'lxc');
  const ctr2 = await testNetns(t, 'lxc');
  const outside = await testNetns(t, 'lxo');
  const br = t.name('lxbr');
  const ext = t.name('lxe');

  // Two containers on a bridge, their default route via the host.
  await ipIn(t, host, ['link', 'add', br, 'type', 'bridge']);
  await ipIn(t, host, ['addr', 'add', `${GATEWAY}/24`, 'dev', br]);
  await ipIn(t, host, ['link', 'set', br, 'up']);
  for (const [ns, addr] of [
    [ctr, CONTAINER],
    [ctr2, OTHER_CONTAINER],
  ] as const) {
    const v = t.name('lxv');
    await ipIn(t, host, ['link', 'add', v, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await ipIn(t, host, ['link', 'set', v, 'master', br, 'up']);
    await ipIn(t, ns, ['addr', 'add', `${addr}/24`, 'dev', 'eth0']);
    await ipIn(t, ns, ['link', 'set', 'eth0', 'up']);
    await ipIn(t, ns, ['route', 'add', 'default', 'via', GATEWAY]);
  }
  // Another machine on the host's outside link; it knows the containers' network is behind the host.
  await ipIn(t, host, ['link', 'add', ext, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outside]);
  await ipIn(t, host, ['addr', 'add', `${HOST_ADDR}/24`, 'dev', ext]);
  await ipIn(t, host, ['link', 'set', ext, 'up']);
  await ipIn(t, outside, ['addr', 'add', `${OUTSIDE}/24`, 'dev', 'eth0']);
  await ipIn(t, outside, ['link', 'set', 'eth0', 'up']);
  await ipIn(t, outside, ['route', 'add', '10.200.21.0/24', 'via', HOST_ADDR]);
  // The routing is nat-setup's business (5.20): the check does it. Loopback stays martian.
  await writeSysctl(t, host, 'net/ipv4/ip_forward', '1');
  for (const dev of ['all', 'default', br]) await writeSysctl(t, host, `net/ipv4/conf/${dev}/route_localnet`, '0');
  await identityServer(t, ctr, CONTAINER, CONTAINER_PORT, ME);
  await identityServer(t, ctr2, OTHER_CONTAINER, HOST_PORT, OTHER);
  await identityServer(t, outside, OUTSIDE, HOST_PORT, OUTSIDE_ID);
  for (const ns of [ctr, ctr2]) {
    const ok = (await ping(t, ns, GATEWAY, 1)).ok || (await ping(t, ns, GATEWAY, 2)).ok;
    if (!ok) throw new Error(`setup: ${ns} cannot reach the host at ${GATEWAY}`);
  }

  const r = await runInNetns(t, host, [String(HOST_PORT), TARGET]);
  t.must({
    id: 'portfwd-succeeds',
    title: `\`portfwd ${HOST_PORT} ${TARGET}\` exits with status 0`,
    pass: r.code === 0,
    expected: 'exit status 0',
    observed: `exit status ${r.code ?? r.signal}${r.stderr.trim() ? `, stderr: ${r.stderr.trim()}` : ''}`,
    hint: 'Return an error (non-zero exit) only when something really failed; print what iptables said.',
  });

  const nat = await iptablesSave(t, host, 'nat');
  const pre = dnatFor(nat, 'PREROUTING');
  const out = dnatFor(nat, 'OUTPUT');
  const fromOutside = await tcpRequest(t, outside, HOST_ADDR, HOST_PORT);
  const fromHost = await tcpRequest(t, host, HOST_ADDR, HOST_PORT);
  const fromLoopback = await tcpRequest(t, host, '127.0.0.1', HOST_PORT);
  const hostToOutside = await tcpRequest(t, host, OUTSIDE, HOST_PORT);
  const outsideToOther = await tcpRequest(t, outside, OTHER_CONTAINER, HOST_PORT);
  const localnet = { all: await readSysctl(t, host, 'net/ipv4/conf/all/route_localnet'), [br]: await readSysctl(t, host, `net/ipv4/conf/${br}/route_localnet`) };
  const loSnat = chainRules(nat, 'POSTROUTING').filter((x) => ['MASQUERADE', 'SNAT'].includes(x.target));
  await t.snapshotTopology();

  const ruleHint = (chain: string, rules: IptablesRule[]) =>
    rules.length === 0
      ? `\`iptables -t nat -A ${chain} -p tcp -m addrtype --dst-type LOCAL --dport ${HOST_PORT} -j DNAT --to-destination ${TARGET}\`.`
      : rules.some((x) => !(ruleOption(x, '--to-destination')?.value ?? '').includes(':'))
        ? `The rule is there but does not send to ${TARGET}: --to-destination takes ip:port, and without the port DNAT keeps the host's (${HOST_PORT}), where the container listens for nothing.`
        : `The rule is there but sends somewhere else: --to-destination ${TARGET}, exactly the <container-ip:port> you were given (and -p tcp).`;
  t.assert({
    id: 'prerouting-dnat',
    title: `nat PREROUTING sends tcp port ${HOST_PORT} to ${TARGET}`,
    pass: dnatRight(pre),
    expected: `-A PREROUTING -p tcp … --dport ${HOST_PORT} -j DNAT --to-destination ${TARGET} (iptables-save -t nat)`,
    observed: `DNAT rules for port ${HOST_PORT}: ${show(pre)}`,
    hint: `${ruleHint('PREROUTING', pre)} PREROUTING is where packets from other machines meet the nat table.`,
  });
  t.assert({
    id: 'output-dnat',
    title: `nat OUTPUT sends tcp port ${HOST_PORT} to ${TARGET} too`,
    pass: dnatRight(out),
    expected: `-A OUTPUT -p tcp … --dport ${HOST_PORT} -j DNAT --to-destination ${TARGET}`,
    observed: `DNAT rules for port ${HOST_PORT}: ${show(out)}`,
    hint: `${ruleHint('OUTPUT', out)} Packets the host sends itself never pass PREROUTING: they meet the nat table in OUTPUT.`,
  });

  t.assert({
    id: 'outside-client-reaches',
    title: `A client on another machine reaches the container at ${HOST_ADDR}:${HOST_PORT}`,
    pass: fromOutside.reply?.id === ME,
    expected: `the ${ME} answers (and sees the client's own address ${OUTSIDE}: DNAT leaves the source alone)`,
    observed: answered(fromOutside),
    hint: `${refused(fromOutside)}${dnatRight(pre) ? '' : ' Packets from other machines meet the nat table in PREROUTING: DNAT them there, to ip:port.'}`,
  });
  t.assert({
    id: 'host-client-reaches',
    title: `A program on the host reaches the container at ${HOST_ADDR}:${HOST_PORT}`,
    pass: fromHost.reply?.id === ME,
    expected: `the ${ME} answers`,
    observed: answered(fromHost),
    hint: `${refused(fromHost)}${dnatRight(out) ? '' : " Locally generated packets skip PREROUTING: add the same DNAT rule to the nat table's OUTPUT chain."}`,
  });
  const localnetOn = localnet.all === '1' || localnet[br] === '1';
  t.assert({
    id: 'loopback-reaches',
    title: `A program on the host reaches the container at 127.0.0.1:${HOST_PORT}`,
    pass: fromLoopback.reply?.id === ME,
    expected: `the ${ME} answers (it sees the host's address on the bridge, ${GATEWAY})`,
    observed: `${answered(fromLoopback)}; route_localnet: all=${localnet.all}, ${br}=${localnet[br]}; POSTROUTING source NAT: ${show(loSnat)}`,
    hint: !dnatRight(out)
      ? 'A connection to 127.0.0.1 is made by the host itself: it meets the nat table in OUTPUT, which has no right DNAT rule yet. Fix that first (output-dnat).'
      : !localnetOn
        ? `After DNAT the packet still comes from 127.0.0.1, and the kernel will not route a loopback address out of a real interface: set net.ipv4.conf.<the bridge>.route_localnet (or .all) to 1. Then masquerade that source: \`iptables -t nat -A POSTROUTING -s 127.0.0.0/8 -d ${CONTAINER} -p tcp --dport ${CONTAINER_PORT} -j MASQUERADE\`.`
        : `route_localnet is on, but the container answers 127.0.0.1, its own loopback: masquerade that source to the host's address on the bridge, \`iptables -t nat -A POSTROUTING -s 127.0.0.0/8 -d ${CONTAINER} -p tcp --dport ${CONTAINER_PORT} -j MASQUERADE\`.`,
  });

  const untouched = hostToOutside.reply?.id === OUTSIDE_ID && outsideToOther.reply?.id === OTHER;
  t.assert({
    id: 'other-destinations-untouched',
    title: `Port ${HOST_PORT} of other machines is left alone`,
    pass: untouched,
    expected: `host → ${OUTSIDE}:${HOST_PORT}: the ${OUTSIDE_ID} answers; ${OUTSIDE} → ${OTHER_CONTAINER}:${HOST_PORT} (through the host): the ${OTHER} answers`,
    observed: `host → ${OUTSIDE}: ${answered(hostToOutside)}; ${OUTSIDE} → ${OTHER_CONTAINER}: ${answered(outsideToOther)}`,
    hint: `A rule matching only --dport ${HOST_PORT} hijacks every connection to that port, whatever machine it is for. Match only packets addressed to the host itself: -m addrtype --dst-type LOCAL (iptables-extensions(8)).`,
  });
});
