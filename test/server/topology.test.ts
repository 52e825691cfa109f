// The topology probe against the real kernel: two named namespaces of our own and one of a
// process, veth pairs between them (and one inside a namespace), a bridge with a port,
// addresses in 10.200.99.0/24, default routes and NAT rules — all inside our namespaces,
// never on the host — then probeTopology() and GET /api/probes/topology must show them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TopologyNamespace, TopologySnapshot } from '../../common/diagram.ts';
import { withCheckLock } from '../../kernels/check/lock.ts';
import { parseNat, probeTopology } from '../../kernels/probes/topology.ts';
import { hostNs, mountsAt, nsInode } from '../../kernels/proc.ts';
import { startServer, TOKEN } from '../support/server.ts';

const sh = (file: string, args: string[]) => execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
const tryRun = (file: string, args: string[]) => {
  try {
    sh(file, args);
  } catch {
    /* already gone */
  }
};
const ipIn = (ns: string, ...args: string[]) => sh('ip', ['-n', ns, ...args]);
const ifindex = (where: string[], name: string) => (JSON.parse(sh(where[0]!, [...where.slice(1), '-json', 'link', 'show', 'dev', name])) as { ifindex: number }[])[0]!.ifindex;
const netnsList = () => sh('ip', ['netns', 'list']);
const hostLinks = () => (JSON.parse(sh('ip', ['-json', 'link'])) as { ifname: string }[]).map((l) => l.ifname).sort();
const hostNat = () => sh('iptables-save', ['-t', 'nat']);

test('probeTopology sees named and process namespaces, veth pairs, bridge ports, routes and NAT', () =>
  withCheckLock(async () => {
    const tag = randomBytes(3).toString('hex');
    const A = `lxtopo${tag}a`;
    const B = `lxtopo${tag}b`;
    const netnsDirExisted = existsSync('/run/netns');
    const netnsMountsBefore = new Set(mountsAt('/run/netns').map((m) => m.id));
    const linksBefore = hostLinks();
    const natBefore = hostNat();
    const sleeper = spawn('unshare', ['-n', 'sleep', '120'], { stdio: 'ignore' });
    try {
      sh('ip', ['netns', 'add', A]);
      sh('ip', ['netns', 'add', B]);
      // A: bridge br0 (10.200.99.1/25) with port a0; a0 <-> b0 in B; an "uplink" up0, a veth
      // whose peer up1 is in A too (not every kernel has dummy); NAT: MASQUERADE out of up0,
      // DNAT from up0 to B.
      ipIn(A, 'link', 'add', 'br0', 'type', 'bridge');
      ipIn(A, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0', 'netns', B);
      ipIn(A, 'link', 'set', 'a0', 'master', 'br0');
      ipIn(A, 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1');
      ipIn(A, 'addr', 'add', '10.200.99.1/25', 'dev', 'br0');
      ipIn(A, 'addr', 'add', '10.200.99.129/26', 'dev', 'up0');
      for (const l of ['lo', 'br0', 'a0', 'up0', 'up1']) ipIn(A, 'link', 'set', l, 'up');
      ipIn(A, 'route', 'add', 'default', 'via', '10.200.99.130', 'dev', 'up0');
      sh('ip', ['netns', 'exec', A, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-s', '10.200.99.0/25', '-o', 'up0', '-j', 'MASQUERADE']);
      sh('ip', ['netns', 'exec', A, 'iptables', '-t', 'nat', '-A', 'PREROUTING', '-i', 'up0', '-p', 'tcp', '--dport', '18099', '-j', 'DNAT', '--to-destination', '10.200.99.2:8080']);
      // B: b0 10.200.99.2/25, default route via the bridge.
      ipIn(B, 'addr', 'add', '10.200.99.2/25', 'dev', 'b0');
      ipIn(B, 'link', 'set', 'b0', 'up');
      ipIn(B, 'route', 'add', 'default', 'via', '10.200.99.1');
      // A process's namespace (no name): p1 in it <-> p0 in B.
      const pid = sleeper.pid!;
      for (let i = 0; i < 100 && nsInode(pid, 'net') === hostNs('net'); i++) await sleep(20);
      const procInode = nsInode(pid, 'net');
      assert.ok(procInode !== null && procInode !== hostNs('net'), 'the sleeper has a network namespace of its own');
      ipIn(B, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1', 'netns', String(pid));
      sh('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', 'addr', 'add', '10.200.99.253/30', 'dev', 'p1']);

      const t0 = performance.now();
      const snap = await probeTopology();
      const ms = performance.now() - t0;
      assert.ok(ms < 5000, `the probe is quick (${Math.round(ms)} ms)`);

      assert.equal(snap.namespaces[0]!.host, true, 'host first');
      assert.equal(snap.namespaces[0]!.inode, hostNs('net'));
      const byName = (n: string) => snap.namespaces.find((x) => x.name === n);
      const nsA = byName(A);
      const nsB = byName(B);
      const nsP = snap.namespaces.find((x) => x.inode === procInode);
      assert.ok(nsA && nsB, 'both named namespaces are there');
      assert.ok(nsP, 'the process namespace is there');
      assert.equal(nsP.name, null);
      assert.ok(nsP.pids.includes(pid), 'with its process');
      assert.ok(snap.namespaces.indexOf(nsA) < snap.namespaces.indexOf(nsP), 'named before process namespaces');
      assert.equal(new Set(snap.namespaces.map((n) => n.id)).size, snap.namespaces.length, 'ids are unique');

      const itf = (ns: TopologyNamespace, name: string) => {
        const i = ns.interfaces.find((x) => x.name === name);
        assert.ok(i, `${name} in ${ns.name ?? ns.id}: ${ns.interfaces.map((x) => x.name).join(' ')}`);
        return i;
      };
      assert.equal(itf(nsA, 'lo').kind, 'loopback');
      assert.equal(itf(nsA, 'br0').kind, 'bridge');
      assert.deepEqual(itf(nsA, 'br0').addresses, ['10.200.99.1/25']);
      assert.equal(itf(nsA, 'up0').kind, 'veth');
      assert.equal(itf(nsA, 'up0').up, true);
      assert.equal(itf(nsA, 'a0').kind, 'veth');
      assert.equal(itf(nsA, 'a0').master, 'br0', 'the bridge port has its master');
      assert.equal(itf(nsA, 'up0').master, undefined);
      assert.deepEqual(itf(nsB, 'b0').addresses, ['10.200.99.2/25']);
      assert.match(itf(nsB, 'b0').mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      assert.deepEqual(itf(nsP, 'p1').addresses, ['10.200.99.253/30']);

      // veth pairs: ends resolved across namespaces, with the kernel's ifindexes.
      const a0 = ifindex(['ip', '-n', A], 'a0');
      const b0 = ifindex(['ip', '-n', B], 'b0');
      const p0 = ifindex(['ip', '-n', B], 'p0');
      const p1 = ifindex(['nsenter', `--net=/proc/${pid}/ns/net`, 'ip'], 'p1');
      const up0 = ifindex(['ip', '-n', A], 'up0');
      const up1 = ifindex(['ip', '-n', A], 'up1');
      const linked = (x: { namespaceId: string; ifindex: number }, y: { namespaceId: string; ifindex: number }) =>
        snap.links.filter((l) => (same(l.a, x) && same(l.b, y)) || (same(l.a, y) && same(l.b, x))).length;
      const same = (p: { namespaceId: string; ifindex: number }, q: { namespaceId: string; ifindex: number }) => p.namespaceId === q.namespaceId && p.ifindex === q.ifindex;
      assert.equal(linked({ namespaceId: nsA.id, ifindex: a0 }, { namespaceId: nsB.id, ifindex: b0 }), 1, `a0 <-> b0: ${JSON.stringify(snap.links)}`);
      assert.equal(linked({ namespaceId: nsB.id, ifindex: p0 }, { namespaceId: nsP.id, ifindex: p1 }), 1, 'p0 <-> p1 (process namespace)');
      assert.equal(linked({ namespaceId: nsA.id, ifindex: up0 }, { namespaceId: nsA.id, ifindex: up1 }), 1, 'up0 <-> up1 (same namespace)');
      assert.deepEqual(itf(nsA, 'a0').peer, { namespaceId: nsB.id, ifindex: b0 });
      assert.deepEqual(itf(nsB, 'b0').peer, { namespaceId: nsA.id, ifindex: a0 });
      assert.deepEqual(itf(nsP, 'p1').peer, { namespaceId: nsB.id, ifindex: p0 });
      const ours = new Set([nsA.id, nsB.id, nsP.id]);
      for (const l of snap.links) {
        if (ours.has(l.a.namespaceId) || ours.has(l.b.namespaceId)) assert.ok(ours.has(l.a.namespaceId) && ours.has(l.b.namespaceId), `no link from ours to elsewhere: ${JSON.stringify(l)}`);
      }
      assert.equal(snap.links.filter((l) => ours.has(l.a.namespaceId)).length, 3);

      // Routes.
      assert.deepEqual(nsB.routes.find((r) => r.dst === 'default'), { dst: 'default', gateway: '10.200.99.1', dev: 'b0' });
      assert.deepEqual(nsA.routes.find((r) => r.dst === 'default'), { dst: 'default', gateway: '10.200.99.130', dev: 'up0' });
      assert.ok(nsA.routes.some((r) => r.dst === '10.200.99.0/25' && r.dev === 'br0'));

      // NAT, in A only.
      const natA = snap.nat.filter((r) => r.namespaceId === nsA.id);
      assert.equal(natA.length, 2, JSON.stringify(natA));
      const masq = natA.find((r) => r.kind === 'MASQUERADE')!;
      assert.equal(masq.chain, 'POSTROUTING');
      assert.equal(masq.source, '10.200.99.0/25');
      assert.equal(masq.outInterface, 'up0');
      assert.equal(masq.text, '-A POSTROUTING -s 10.200.99.0/25 -o up0 -j MASQUERADE');
      assert.equal(masq.summary, 'MASQUERADE 10.200.99.0/25 → up0');
      const dnat = natA.find((r) => r.kind === 'DNAT')!;
      assert.equal(dnat.chain, 'PREROUTING');
      assert.equal(dnat.to, '10.200.99.2:8080');
      assert.equal(dnat.summary, 'DNAT up0:18099 → 10.200.99.2:8080');
      assert.deepEqual(snap.nat.filter((r) => r.namespaceId === nsB.id || r.namespaceId === nsP.id), []);

      // The same over HTTP.
      const server = await startServer({ listen: false });
      try {
        const r = await server.app.inject({ url: '/api/probes/topology', headers: { authorization: `Bearer ${TOKEN}` } });
        assert.equal(r.statusCode, 200);
        const overHttp = r.json() as TopologySnapshot;
        assert.equal(overHttp.namespaces[0]!.host, true);
        const httpA = overHttp.namespaces.find((n) => n.name === A);
        assert.ok(httpA);
        assert.equal(httpA.interfaces.find((i) => i.name === 'a0')?.peer?.namespaceId, nsB.id);
        assert.ok(overHttp.nat.some((n) => n.namespaceId === nsA.id && n.kind === 'MASQUERADE'));
        assert.equal((await server.app.inject({ url: '/api/probes/topology' })).statusCode, 401);
        // This test holds the check lock, as a check would: the page's polls are turned away.
        const poll = await server.app.inject({ url: '/api/probes/topology?poll=1', headers: { authorization: `Bearer ${TOKEN}` } });
        assert.equal(poll.statusCode, 204);
      } finally {
        await server.stop();
      }
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((resolve) => (sleeper.exitCode !== null || sleeper.signalCode !== null ? resolve(null) : sleeper.once('exit', resolve)));
      tryRun('ip', ['netns', 'delete', A]);
      tryRun('ip', ['netns', 'delete', B]);
      // `ip netns add` leaves /run/netns a mount point of its own: put it back as it was.
      for (let i = 0; i < 5; i++) {
        const top = mountsAt('/run/netns').at(-1);
        if (!top || netnsMountsBefore.has(top.id)) break;
        tryRun('umount', ['/run/netns']);
      }
      if (!netnsDirExisted) {
        try {
          rmdirSync('/run/netns');
        } catch {
          /* not empty: someone else's namespaces */
        }
      }
    }
    assert.doesNotMatch(netnsList(), new RegExp(`lxtopo${tag}`), 'the namespaces are gone');
    assert.deepEqual(hostLinks(), linksBefore, "the host's links are as they were");
    assert.equal(hostNat().replace(/^#.*\n/gm, ''), natBefore.replace(/^#.*\n/gm, ''), "the host's NAT table was never touched");
    assert.equal(existsSync('/run/netns'), netnsDirExisted);
  }));

test('parseNat: targets, negation, quoting; other tables and jumps to chains are not NAT rules', () => {
  const dump = [
    '*filter',
    '-A FORWARD -s 10.200.99.0/24 -j MASQUERADE',
    'COMMIT',
    '*nat',
    ':POSTROUTING ACCEPT [0:0]',
    '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
    '-A POSTROUTING -s 10.200.99.0/24 ! -o br0 -m comment --comment "lab \\"nat\\"" -j MASQUERADE',
    '-A PREROUTING -d 192.0.2.2/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.200.99.2:53',
    '-A OUTPUT -p tcp --dport 80 -j REDIRECT --to-ports 8080',
    '-A POSTROUTING -s 10.200.99.0/24 -j SNAT --to-source 192.0.2.2',
    'COMMIT',
  ].join('\n');
  const rules = parseNat('net:1', dump, true);
  assert.deepEqual(rules.map((r) => r.summary), [
    'MASQUERADE 10.200.99.0/24 → !br0',
    'DNAT 192.0.2.2:5353/udp → 10.200.99.2:53',
    'REDIRECT host:80 → :8080',
    'SNAT 10.200.99.0/24 → 192.0.2.2',
  ]);
  assert.equal(rules[0]!.outInterface, '!br0');
  assert.equal(rules[1]!.protocol, 'udp');
  assert.ok(rules.every((r) => r.namespaceId === 'net:1'));
});
