import {
  ipIn,
  chainPolicy,
  chainRules,
  defineCheck,
  identityServer,
  inNetns,
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

// The lab network behind the host, the simulated internet, and another internal network.
const SUBNET = '10.200.20.0/24';
const GATEWAY = '10.200.20.1';
const CONTAINER = '10.200.20.2';
const HOST_PUBLIC = '198.51.100.20';
const SERVER = '198.51.100.120';
const SERVER_PORT = 80;
const LAN_HOST = '10.200.21.1';
const LAN_SERVER = '10.200.21.2';
const LAN_PORT = 5432;

const show = (rules: IptablesRule[]) => (rules.length ? rules.map((r) => r.line).join('; ') : '(none)');

/** Does a NAT rule's -s cover the container? (absent: every source does) */
function coversContainer(r: IptablesRule): boolean {
  const s = ruleOption(r, '-s', '--source');
  if (!s) return true;
  const inside = s.value === SUBNET || s.value === `${CONTAINER}/32` || s.value === CONTAINER;
  return s.negated ? !inside : inside;
}

export default defineCheck(async (t) => {
  // A namespace of our own stands in for the host: your program's rules and sysctls land in
  // it and go with it, and nothing can ever be routed out of the machine's real interface.
  const host = await testNetns(t, 'lxh');
  const ctr = await testNetns(t, 'lxc');
  const inet = await testNetns(t, 'lxi');
  const lan = await testNetns(t, 'lxd');
  const br = t.name('lxbr');
  const vc = t.name('lxv');
  const ext = t.name('lxe');
  const vl = t.name('lxo');

  // The container on a bridge, its default route via the host (like docker0).
  await ipIn(t, host, ['link', 'add', br, 'type', 'bridge']);
  await ipIn(t, host, ['addr', 'add', `${GATEWAY}/24`, 'dev', br]);
  await ipIn(t, host, ['link', 'set', br, 'up']);
  await ipIn(t, host, ['link', 'add', vc, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ctr]);
  await ipIn(t, host, ['link', 'set', vc, 'master', br, 'up']);
  await ipIn(t, ctr, ['addr', 'add', `${CONTAINER}/24`, 'dev', 'eth0']);
  await ipIn(t, ctr, ['link', 'set', 'eth0', 'up']);
  await ipIn(t, ctr, ['route', 'add', 'default', 'via', GATEWAY]);
  // The "internet" behind ext. It knows only its own link: no route back to the container.
  await ipIn(t, host, ['link', 'add', ext, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', inet]);
  await ipIn(t, host, ['addr', 'add', `${HOST_PUBLIC}/24`, 'dev', ext]);
  await ipIn(t, host, ['link', 'set', ext, 'up']);
  await ipIn(t, inet, ['addr', 'add', `${SERVER}/24`, 'dev', 'eth0']);
  await ipIn(t, inet, ['link', 'set', 'eth0', 'up']);
  // Another internal network, which does know the way back to the containers.
  await ipIn(t, host, ['link', 'add', vl, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lan]);
  await ipIn(t, host, ['addr', 'add', `${LAN_HOST}/24`, 'dev', vl]);
  await ipIn(t, host, ['link', 'set', vl, 'up']);
  await ipIn(t, lan, ['addr', 'add', `${LAN_SERVER}/24`, 'dev', 'eth0']);
  await ipIn(t, lan, ['link', 'set', 'eth0', 'up']);
  await ipIn(t, lan, ['route', 'add', SUBNET, 'via', LAN_HOST]);
  // A host as your program will meet it: not a router yet, and a FORWARD chain that drops
  // what no rule accepts (Docker sets that policy, and so do many firewalls).
  await writeSysctl(t, host, 'net/ipv4/ip_forward', '0');
  await inNetns(t, host, 'iptables', ['-P', 'FORWARD', 'DROP']);
  await identityServer(t, inet, SERVER, SERVER_PORT, 'internet server');
  await identityServer(t, lan, LAN_SERVER, LAN_PORT, 'lan server');
  const link = (await ping(t, ctr, GATEWAY, 1)).ok || (await ping(t, ctr, GATEWAY, 2)).ok;
  if (!link) throw new Error(`setup: the container cannot reach the host at ${GATEWAY}`);

  const r = await runInNetns(t, host, [SUBNET, ext]);
  t.must({
    id: 'nat-setup-succeeds',
    title: `\`nat-setup ${SUBNET} ${ext}\` exits with status 0`,
    pass: r.code === 0,
    expected: 'exit status 0',
    observed: `exit status ${r.code ?? r.signal}${r.stderr.trim() ? `, stderr: ${r.stderr.trim()}` : ''}`,
    hint: 'Return an error (non-zero exit) only when something really failed; print what iptables said.',
  });

  const forwarding = await readSysctl(t, host, 'net/ipv4/ip_forward');
  const post = chainRules(await iptablesSave(t, host, 'nat'), 'POSTROUTING');
  const masq = post.filter((x) => x.target === 'MASQUERADE' && ruleOption(x, '-s', '--source')?.value === SUBNET && !ruleOption(x, '-s', '--source')?.negated);
  const forward = chainRules(await iptablesSave(t, host, 'filter'), 'FORWARD');
  const accepts = forward.filter((x) => x.target === 'ACCEPT');

  // The real test: a connection from the container to the internet server, which answers
  // with the source address it saw. The FORWARD policy's counter says what it dropped.
  const before = await chainPolicy(t, host, 'filter', 'FORWARD');
  const reply = await tcpRequest(t, ctr, SERVER, SERVER_PORT);
  const after = await chainPolicy(t, host, 'filter', 'FORWARD');
  const dropped = before && after && after.policy !== 'ACCEPT' ? after.packets - before.packets : 0;
  const noRoute = (await inNetns(t, inet, 'ip', ['route', 'get', CONTAINER], { allowFail: true })).code !== 0;
  await t.snapshotTopology();

  t.assert({
    id: 'ip-forward-on',
    title: 'The host forwards packets (net.ipv4.ip_forward = 1)',
    pass: forwarding === '1',
    expected: '1',
    observed: forwarding ?? '(unreadable)',
    hint: 'Write "1" to /proc/sys/net/ipv4/ip_forward. Without it the kernel drops every packet that is not addressed to the host itself.',
  });

  t.assert({
    id: 'masquerade-rule',
    title: `nat POSTROUTING masquerades ${SUBNET}`,
    pass: masq.length > 0,
    expected: `-A POSTROUTING -s ${SUBNET} -o ${ext} -j MASQUERADE (iptables-save -t nat)`,
    observed: `POSTROUTING rules: ${show(post)}`,
    hint: post.length
      ? `Source NAT for the subnet: \`iptables -t nat -A POSTROUTING -s ${SUBNET} -o ${ext} -j MASQUERADE\`. MASQUERADE takes the address of the interface the packet leaves by; SNAT --to-source needs the right one spelled out.`
      : `No rule at all in the nat table's POSTROUTING chain. Without -t nat, iptables works on the filter table, which has no POSTROUTING chain and refuses MASQUERADE: did iptables fail, and did your program check?`,
  });

  const policy = after?.policy ?? 'ACCEPT';
  t.assert({
    id: 'forward-accepts',
    title: "The FORWARD chain lets the container's connection through, both ways",
    pass: policy === 'ACCEPT' || (accepts.length > 0 && dropped === 0),
    expected: `policy ACCEPT, or ACCEPT rules for ${SUBNET} out of ${ext} and for the replies back in (the check set the policy to DROP)`,
    observed:
      policy === 'ACCEPT'
        ? 'policy ACCEPT'
        : `policy ${policy}; ${dropped} packet(s) of the connection dropped by it; ACCEPT rules: ${show(accepts)}`,
    hint:
      accepts.length === 0
        ? `Nothing accepts forwarded packets: \`iptables -I FORWARD -s ${SUBNET} -o ${ext} -j ACCEPT\`, and for the replies \`iptables -I FORWARD -d ${SUBNET} -i ${ext} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\`.`
        : `Your rules let some packets through, but the policy dropped others. Forwarding is two-way: the replies come back in by ${ext} addressed to the container (NAT is undone before FORWARD) and need a rule too: \`-d ${SUBNET} -i ${ext} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\`.`,
  });

  t.assert({
    id: 'internet-has-no-route-back',
    title: `The internet has no route to ${SUBNET}: only NAT can bring the replies back`,
    pass: noRoute,
    expected: `\`ip route get ${CONTAINER}\` in the internet namespace fails (it knows only 198.51.100.0/24)`,
    observed: noRoute ? 'no route' : `it found a route to ${CONTAINER}: this check proves nothing about NAT`,
    hint: 'Your program should change only the host, never the network behind ext.',
  });

  const snat = post.filter((x) => x.target === 'SNAT' && coversContainer(x));
  const snatTo = snat.map((x) => ruleOption(x, '--to-source')?.value ?? '?').filter((a) => a.split(/[:-]/)[0] !== HOST_PUBLIC);
  const why = [
    forwarding !== '1' ? 'forwarding is off' : '',
    snatTo.length ? `SNAT rewrites the source to ${snatTo.join(', ')}, an address the internet's replies cannot reach (the host's there is ${HOST_PUBLIC}): use MASQUERADE, which takes ext's own address` : '',
    masq.length === 0 && snat.length === 0 ? `no MASQUERADE rule for ${SUBNET}` : '',
    policy !== 'ACCEPT' && dropped > 0 ? `FORWARD dropped ${dropped} packet(s)` : '',
  ].filter(Boolean);
  t.assert({
    id: 'internet-via-nat',
    title: `The container reaches ${SERVER}:${SERVER_PORT}, which sees the host's address ${HOST_PUBLIC}`,
    pass: reply.reply?.id === 'internet server' && reply.reply.peer === HOST_PUBLIC,
    expected: `a reply from the internet server, which saw the connection come from ${HOST_PUBLIC} (ext's address), not ${CONTAINER}`,
    observed: reply.reply ? `the server saw ${reply.reply.peer}` : `no connection (${reply.error})`,
    hint: why.length
      ? `From what the check saw: ${why.join('; ')}.`
      : `The packets went out, but the server's replies found no way back: the source it saw must be an address it can answer, ${HOST_PUBLIC}. MASQUERADE picks ext's address for you; SNAT --to-source must name exactly that one.`,
  });

  // Only traffic that leaves by ext is the internet's business. To see what your rules do to
  // the rest, the check lets container <-> other internal network through itself (forwarding
  // on, FORWARD accepts), then connects to a server there, which knows the way back.
  await writeSysctl(t, host, 'net/ipv4/ip_forward', '1');
  await inNetns(t, host, 'iptables', ['-I', 'FORWARD', '1', '-i', br, '-o', vl, '-j', 'ACCEPT']);
  await inNetns(t, host, 'iptables', ['-I', 'FORWARD', '1', '-i', vl, '-o', br, '-j', 'ACCEPT']);
  const lanReply = await tcpRequest(t, ctr, LAN_SERVER, LAN_PORT);
  const nat = chainRules(await iptablesSave(t, host, 'nat'), 'POSTROUTING');
  const broad = nat.filter((x) => {
    if (x.target !== 'MASQUERADE' && x.target !== 'SNAT') return false;
    const o = ruleOption(x, '-o', '--out-interface');
    return coversContainer(x) && !(o && !o.negated && o.value === ext);
  });
  t.assert({
    id: 'rule-scoped-to-interface',
    title: `Only traffic leaving by ${ext} is rewritten: another internal network still sees ${CONTAINER}`,
    pass: lanReply.reply?.peer === CONTAINER && broad.length === 0,
    expected: `the server at ${LAN_SERVER} (reached by ${vl}, not ${ext}) saw ${CONTAINER}; every MASQUERADE/SNAT rule for ${SUBNET} has -o ${ext}`,
    observed: `${lanReply.reply ? `it saw ${lanReply.reply.peer}` : `no connection (${lanReply.error})`}; rules without -o ${ext}: ${show(broad)}`,
    hint: `Add -o ${ext} to the rule. Without it every packet from the containers is rewritten, wherever it goes: to other container networks, a VPN, the LAN. Their servers all see the host instead of the container, and source-based rules and logs are lost.`,
  });
});
