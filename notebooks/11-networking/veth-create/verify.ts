import { defineCheck, ipv4Addresses, netLink, packetCounters, ping, runInNetns, testNetns, vethPeer, type CheckContext, type NetLink } from '../../../kernels/check/index.ts';

const where = (ns: string | null, host: string) => (ns === null ? 'the host' : ns === host ? `${host} (where your program ran)` : ns);

/** Which of these namespaces holds an interface of that name (the first found). */
async function findLink(names: (string | null)[], ifname: string): Promise<{ ns: string | null; link: NetLink } | null> {
  for (const ns of names) {
    const link = await netLink(ns, ifname);
    if (link) return { ns, link };
  }
  return null;
}

/** One end: there, a veth, up, with exactly the address asked for. */
async function checkEnd(t: CheckContext, o: { id: string; ifname: string; ns: string; addr: string; flag: string; all: string[]; host: string }) {
  const found = await findLink(o.all, o.ifname);
  t.must({
    id: `${o.id}-in-${o.flag}`,
    title: `${o.ifname} is a veth in ${o.ns}`,
    pass: found?.ns === o.ns && found.link.linkinfo?.info_kind === 'veth',
    expected: `a veth named ${o.ifname} in ${where(o.ns, o.host)}`,
    observed: !found
      ? `no interface named ${o.ifname} in ${o.all.map((n) => where(n, o.host)).join(', ')}`
      : found.ns !== o.ns
        ? `${o.ifname} is in ${where(found.ns, o.host)}`
        : `${o.ifname} is of kind ${found.link.linkinfo?.info_kind ?? 'none'}`,
    hint:
      found && found.ns !== o.ns
        ? `Create it there (\`ip link add … netns NS\` / \`peer name … netns NS\`) or move it with \`ip link set ${o.ifname} netns NS\`.`
        : 'Create the pair with `ip link add <name1> type veth peer name <name2>`.',
  });
  const link = found!.link;
  t.assert({
    id: `${o.id}-up`,
    title: `${o.ifname} is up`,
    pass: link.flags.includes('UP'),
    expected: 'flag UP (administratively up)',
    observed: `flags ${link.flags.join(',') || '(none)'}, operstate ${link.operstate}`,
    hint: `A new interface is down, and so is one just moved to another namespace: \`ip -n NS link set ${o.ifname} up\` after the move.`,
  });
  if (o.addr) {
    const addrs = await ipv4Addresses(o.ns, o.ifname);
    t.assert({
      id: `addr${o.id.slice(-1)}-on-${o.id}`,
      title: `${o.ifname} has the address ${o.addr}`,
      pass: addrs.includes(o.addr),
      expected: o.addr,
      observed: addrs.length ? addrs.join(', ') : 'no IPv4 address',
      hint: addrs.length
        ? 'Is that the address meant for the other end? --addr1 goes on <name1>, --addr2 on <name2>.'
        : 'Moving an interface to another namespace brings it down and removes its addresses: move (or create it in place) first, then address it and bring it up.',
    });
  }
}

async function checkPeers(t: CheckContext, a: { ifname: string; ns: string }, b: { ifname: string; ns: string }, host: string) {
  const peer = await vethPeer(a.ns, a.ifname);
  const seen = await netLink(a.ns, a.ifname);
  t.must({
    id: 'ends-are-peers',
    title: `${a.ifname} and ${b.ifname} are the two ends of one veth pair`,
    pass: peer?.netns === b.ns && peer.link.ifname === b.ifname,
    expected: `the peer of ${a.ifname} (its link_index, in the namespace its link_netnsid names) is ${b.ifname} in ${where(b.ns, host)}`,
    observed: peer
      ? `its peer is ${peer.link.ifname} in ${where(peer.netns, host)}`
      : `no peer found for ${a.ifname} (link_index ${seen?.link_index ?? 'none'}, link_netnsid ${seen?.link_netnsid ?? 'none'})`,
    hint: 'One `ip link add <name1> type veth peer name <name2>` makes both ends; two separate veth pairs are not connected.',
  });
}

export default defineCheck(async (t) => {
  // A namespace of our own stands in for the host: the program runs there, so an end left
  // "where it runs" lands in it, and nothing is left on the real host.
  const host = await testNetns(t, 'lxh');
  const ns1 = await testNetns(t, 'lxa');
  const ns2 = await testNetns(t, 'lxb');
  const all = [host, ns1, ns2];
  const v1 = t.name('va');
  const v2 = t.name('vb');
  const a1 = '10.200.17.1/24';
  const a2 = '10.200.17.2/24';

  const args = ['create', v1, v2, '--netns1', ns1, '--netns2', ns2, '--addr1', a1, '--addr2', a2];
  const r = await runInNetns(t, host, args);
  t.must({
    id: 'create-succeeds',
    title: `\`${r.command}\` exits with status 0`,
    pass: r.code === 0,
    expected: 'exit status 0',
    observed: `exit status ${r.code ?? r.signal}${r.stderr.trim() ? `, stderr: ${r.stderr.trim()}` : ''}`,
    hint: 'Return an error (non-zero exit) only when something really failed.',
  });

  await checkEnd(t, { id: 'end1', ifname: v1, ns: ns1, addr: a1, flag: 'netns1', all, host });
  await checkEnd(t, { id: 'end2', ifname: v2, ns: ns2, addr: a2, flag: 'netns2', all, host });
  await checkPeers(t, { ifname: v1, ns: ns1 }, { ifname: v2, ns: ns2 }, host);

  const before = await packetCounters(ns2, v2);
  const p = await ping(t, ns1, a2.split('/')[0]!, 2);
  const after = await packetCounters(ns2, v2);
  t.assert({
    id: 'ping-crosses',
    title: `From ${ns1}, ${a2.split('/')[0]} answers ping across the pair`,
    pass: p.ok && (after?.rx ?? 0) > (before?.rx ?? 0),
    expected: `replies, and ${v2}'s receive counter going up`,
    observed: `${p.output.split('\n').filter((l) => /transmitted|bytes from|unreachable/i.test(l)).join('; ') || p.output}; ${v2} received ${(after?.rx ?? 0) - (before?.rx ?? 0)} packets`,
    hint: 'Both ends must be up, and addressed in the same subnet.',
  });

  // An end without --netns stays in the namespace the program runs in.
  const vh = t.name('vh');
  const vc = t.name('vc');
  const ah = '10.200.17.5/30';
  const ac = '10.200.17.6/30';
  const r2 = await runInNetns(t, host, ['create', vh, vc, '--netns2', ns1, '--addr1', ah, '--addr2', ac]);
  t.must({
    id: 'create-host-end-succeeds',
    title: `\`${r2.command}\` (no --netns1) exits with status 0`,
    pass: r2.code === 0,
    expected: 'exit status 0',
    observed: `exit status ${r2.code ?? r2.signal}${r2.stderr.trim() ? `, stderr: ${r2.stderr.trim()}` : ''}`,
    hint: 'Every --flag is optional: without --netns1 the first end stays where the program runs.',
  });
  const hostEnd = await findLink(all, vh);
  const hostAddrs = await ipv4Addresses(host, vh);
  const back = await vethPeer(host, vh);
  t.assert({
    id: 'host-end-stays',
    title: `Without --netns1, ${vh} stays where the program ran, up, with ${ah}, the peer of ${vc} in ${ns1}`,
    pass: hostEnd?.ns === host && hostEnd.link.flags.includes('UP') && hostAddrs.includes(ah) && back?.netns === ns1 && back.link.ifname === vc,
    expected: `${vh} in ${host}, UP, ${ah}, peer ${vc} in ${ns1}`,
    observed: !hostEnd
      ? `no interface ${vh} anywhere`
      : `${vh} in ${where(hostEnd.ns, host)}, flags ${hostEnd.link.flags.join(',')}, ${hostAddrs.join(', ') || 'no address'}, peer ${back ? `${back.link.ifname} in ${where(back.netns, host)}` : 'not found'}`,
    hint: 'With no namespace given, create and configure the end in the current namespace (no `netns` argument, no `-n`).',
  });
  const p2 = await ping(t, ns1, ah.split('/')[0]!, 1);
  t.assert({
    id: 'ping-host-end',
    title: `From ${ns1}, ${vh}'s ${ah.split('/')[0]} answers ping`,
    pass: p2.ok,
    expected: 'a reply',
    observed: p2.output.split('\n').filter((l) => /transmitted|bytes from|unreachable/i.test(l)).join('; ') || p2.output,
    hint: 'Both ends must be up, and addressed in the same subnet.',
  });
});
