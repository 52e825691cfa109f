// The cgroup probe against the real kernel: a hierarchy of our own under the cgroup2 mount
// (<mount>/luxlab-probe-test-<pid>/a/b, a sleep in b, and a wide branch of siblings), then
// probeCgroups() and GET /api/probes/cgroups must show its nesting, processes and frozen
// state, cut it to its limits keeping the focus, and refuse paths outside the mount. Works
// on a v1/v2 hybrid (no controllers on cgroup2: no gauges) and on a unified hierarchy (the
// gauges of the controllers enabled here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CgroupNode, CgroupSnapshot } from '../../common/diagram.ts';
import { withCheckLock } from '../../kernels/check/lock.ts';
import { CgroupPathError, cgroupMountPoint, cgroupPath, probeCgroups } from '../../kernels/probes/cgroups.ts';
import { startServer, TOKEN } from '../support/server.ts';

const read = (p: string) => readFileSync(p, 'utf8').trim();
const events = (dir: string) => Object.fromEntries(read(join(dir, 'cgroup.events')).split('\n').map((l) => l.split(' ')));

async function until(what: string, fn: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !fn(); await sleep(20)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

/** Everything below dir killed and removed, deepest first (also what a failed test left). */
async function removeTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const walk = (d: string): string[] => [...readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => walk(join(d, e.name))), d];
  const all = walk(dir);
  for (const d of all) {
    try {
      writeFileSync(join(d, 'cgroup.freeze'), '0');
    } catch {
      /* no freezer file: fine */
    }
  }
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1'); // Linux 5.14+
  } catch {
    /* older kernel: the test killed its own processes already */
  }
  await until(`${dir} to empty`, () => events(dir)['populated'] === '0').catch(() => {});
  for (const d of all) {
    try {
      rmdirSync(d);
    } catch (err) {
      console.error(`could not remove ${d}: ${(err as Error).message}`);
    }
  }
}

const node = (snap: CgroupSnapshot, path: string): CgroupNode => {
  const n = snap.nodes.find((x) => x.path === path);
  assert.ok(n, `${path} in the snapshot: ${snap.nodes.map((x) => x.path).join(' ')}`);
  return n;
};

test('probeCgroups shows a real hierarchy: nesting, processes, frozen, gauges only with controllers, limits that keep the focus', () =>
  withCheckLock(async () => {
    const mount = cgroupMountPoint();
    const rel = `/luxlab-probe-test-${process.pid}`;
    const top = mount + rel;
    const [relA, relB, relWide] = [`${rel}/a`, `${rel}/a/b`, `${rel}/wide`];
    let sleeper: ChildProcess | null = null;
    let churn: ChildProcess | null = null;
    try {
      mkdirSync(top);
      // Where the mount's root hands controllers down (a unified host), pass memory and pids to
      // a and limit them there; on a hybrid host there are none to pass.
      const offered = read(join(top, 'cgroup.controllers')).split(' ').filter((c) => c === 'memory' || c === 'pids');
      if (offered.length) writeFileSync(join(top, 'cgroup.subtree_control'), offered.map((c) => `+${c}`).join(' '));
      mkdirSync(mount + relB, { recursive: true });
      if (offered.includes('memory')) writeFileSync(join(mount + relA, 'memory.max'), String(64 << 20));
      if (offered.includes('pids')) writeFileSync(join(mount + relA, 'pids.max'), '50');
      for (let i = 0; i < 30; i++) mkdirSync(join(mount + relWide, `c${String(i).padStart(2, '0')}`), { recursive: true });

      sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
      const pid = sleeper.pid!;
      writeFileSync(join(mount + relB, 'cgroup.procs'), String(pid));
      await until('the sleep to be in b', () => read(`/proc/${pid}/cgroup`).includes(`0::${relB}`));

      // ---- nesting, processes -------------------------------------------------------------
      const snap = await probeCgroups({ root: rel, focus: [relB] });
      assert.equal(snap.mount, mount);
      assert.equal(snap.root, rel);
      assert.deepEqual(snap.focus, [relB]);
      assert.equal(snap.truncated, 0);
      assert.equal(snap.nodes.length, 1 + 2 + 1 + 30);
      assert.equal(snap.nodes[0]!.path, rel, 'the root first');
      assert.equal(snap.nodes[0]!.parent, null);
      const seen = new Set<string>();
      for (const n of snap.nodes) {
        if (n.parent !== null) assert.ok(seen.has(n.parent), `${n.path}: its parent comes first`);
        seen.add(n.path);
      }
      const [nTop, a, b] = [node(snap, rel), node(snap, relA), node(snap, relB)];
      assert.equal(a.parent, rel);
      assert.equal(b.parent, relA);
      assert.deepEqual([nTop.depth, a.depth, b.depth], [0, 1, 2]);
      assert.equal(nTop.descendants, 33);
      assert.equal(b.nrProcs, 1);
      assert.deepEqual(b.procs, [{ pid, comm: 'sleep' }]);
      assert.equal(a.nrProcs, 0);
      assert.deepEqual(a.procs, []);
      assert.equal(b.populated, true);
      assert.equal(a.populated, true, 'populated counts processes below');
      assert.equal(node(snap, `${relWide}/c00`).populated, false);
      assert.deepEqual(nTop.subtreeControl.sort(), [...offered].sort());
      assert.equal(b.frozen, false);
      assert.equal(b.freeze, false);

      // ---- gauges: only where the controller is --------------------------------------------
      for (const n of snap.nodes) {
        const has = (c: string) => n.controllers.includes(c);
        assert.equal(n.memory !== undefined, has('memory'), `${n.path}: memory gauge iff memory is on (${n.controllers.join(' ')})`);
        assert.equal(n.pids !== undefined, has('pids'), `${n.path}: pids gauge iff pids is on`);
        assert.equal(n.ioMax !== undefined, has('io'), `${n.path}: io.max iff io is on`);
        assert.ok(n.cpu && Number.isFinite(n.cpu.usageUsec), `${n.path}: cpu.stat usage is cgroup core`);
        if (!has('cpu')) assert.equal(n.cpu.nrThrottled, undefined, `${n.path}: no throttling without the cpu controller`);
      }
      assert.equal(b.memory, undefined, 'a enables nothing for b');
      if (offered.includes('memory')) assert.equal(a.memory?.max, 64 << 20);
      if (offered.includes('pids')) assert.deepEqual(a.pids, { current: 1, max: 50 });
      if (!offered.length) assert.ok(snap.nodes.every((n) => !n.memory && !n.pids), 'a hybrid host: no gauges anywhere under our cgroup');

      // ---- frozen: its own cgroup.freeze, then an ancestor's ---------------------------------
      writeFileSync(join(mount + relB, 'cgroup.freeze'), '1');
      await until('b frozen', () => events(mount + relB)['frozen'] === '1');
      let s = await probeCgroups({ root: rel });
      assert.deepEqual([node(s, relB).frozen, node(s, relB).freeze, node(s, relA).frozen], [true, true, false]);
      writeFileSync(join(mount + relB, 'cgroup.freeze'), '0');
      writeFileSync(join(mount + relA, 'cgroup.freeze'), '1');
      await until('a frozen', () => events(mount + relA)['frozen'] === '1' && events(mount + relB)['frozen'] === '1');
      s = await probeCgroups({ root: rel });
      assert.deepEqual([node(s, relA).frozen, node(s, relA).freeze], [true, true]);
      assert.deepEqual([node(s, relB).frozen, node(s, relB).freeze], [true, false], 'b is frozen by its parent, not of itself');
      writeFileSync(join(mount + relA, 'cgroup.freeze'), '0');
      await until('thawed', () => events(mount + relB)['frozen'] === '0');
      s = await probeCgroups({ root: rel });
      assert.deepEqual([node(s, relA).frozen, node(s, relB).frozen], [false, false], 'thawed');

      // ---- limits: the focus survives the cut ------------------------------------------------
      s = await probeCgroups({ root: rel, focus: [relB], maxNodes: 10 });
      assert.equal(s.nodes.length, 10);
      assert.ok(s.nodes.some((n) => n.path === relB), 'the focus is kept');
      assert.equal(s.truncated, 34 - 10);
      assert.equal(node(s, relWide).omittedChildren, 30 - (10 - 4), 'the wide branch says how many of its children are cut');
      s = await probeCgroups({ root: rel, maxDepth: 1 });
      assert.deepEqual(s.nodes.map((n) => n.path).sort(), [rel, relA, relWide].sort());
      assert.equal(node(s, relA).omittedChildren, 1);
      s = await probeCgroups({ root: rel, maxDepth: 0, focus: [relB] });
      assert.deepEqual(s.nodes.map((n) => n.path), [rel, relA, relB], 'the focus path is kept below maxDepth');

      // ---- paths -------------------------------------------------------------------------------
      assert.equal((await probeCgroups({ root: top })).root, rel, 'an absolute path under the mount');
      assert.equal((await probeCgroups({ root: rel.slice(1) })).root, rel, 'relative without the leading /');
      assert.equal(cgroupPath(mount, mount), '/');
      assert.equal(cgroupPath(mount, `${relA}//./b/`), relB);
      assert.throws(() => cgroupPath(mount, `${rel}/../..`), (e: unknown) => e instanceof CgroupPathError && e.reason === 'outside' && /"\.\."/.test(e.message));
      assert.throws(() => cgroupPath(mount, '/sys/kernel'), (e: unknown) => e instanceof CgroupPathError && e.reason === 'outside');
      await assert.rejects(probeCgroups({ root: `${rel}/nope` }), (e: unknown) => e instanceof CgroupPathError && e.reason === 'missing');
      assert.equal((await probeCgroups({ root: `${rel}/nope/deeper`, nearestExisting: true })).root, rel, "a check's picture falls back to the nearest ancestor");

      // ---- cgroups that vanish mid-probe ---------------------------------------------------------
      const churnDir = join(mount + relWide, 'churn');
      churn = spawn('sh', ['-c', 'while :; do mkdir "$0/x" "$0/x/y" 2>/dev/null; rmdir "$0/x/y" "$0/x" 2>/dev/null; done', mount + relWide], { stdio: 'ignore' });
      for (let i = 0; i < 20; i++) {
        const c = await probeCgroups({ root: relWide });
        const paths = new Set(c.nodes.map((n) => n.path));
        for (const n of c.nodes) if (n.parent !== null) assert.ok(paths.has(n.parent), `${n.path} has its parent`);
      }
      churn.kill('SIGKILL');
      await new Promise((r) => (churn!.exitCode !== null || churn!.signalCode !== null ? r(null) : churn!.once('exit', r)));
      churn = null;
      for (const d of [join(churnDir, 'x', 'y'), join(churnDir, 'x')]) if (existsSync(d)) rmdirSync(d);

      // ---- over HTTP ---------------------------------------------------------------------------
      const server = await startServer({ listen: false });
      try {
        const get = (q: string) => server.app.inject({ url: `/api/probes/cgroups${q}`, headers: { authorization: `Bearer ${TOKEN}` } });
        const r = await get(`?root=${encodeURIComponent(rel)}&focus=${encodeURIComponent(relB)}&focus=${encodeURIComponent(relA)}`);
        assert.equal(r.statusCode, 200, r.body);
        const overHttp = r.json() as CgroupSnapshot;
        assert.equal(overHttp.root, rel);
        assert.deepEqual(overHttp.focus, [relB, relA], 'focus repeated');
        assert.deepEqual(node(overHttp, relB).procs, [{ pid, comm: 'sleep' }]);
        assert.equal((await get('')).json<CgroupSnapshot>().nodes[0]!.path, '/', 'the whole mount by default');

        const dotdot = await get(`?root=${encodeURIComponent(`${rel}/../../etc`)}`);
        assert.equal(dotdot.statusCode, 400);
        assert.equal(dotdot.json<{ code: string }>().code, 'LUX_BAD_CGROUP_PATH');
        assert.match(dotdot.json<{ error: string }>().error, /"\.\." is not allowed/);
        const outside = await get(`?root=${encodeURIComponent('/sys/kernel/mm')}`);
        assert.equal(outside.statusCode, 400);
        assert.match(outside.json<{ error: string }>().error, /outside the cgroup2 mount/);
        assert.equal((await get(`?focus=${encodeURIComponent('../x')}`)).statusCode, 400, 'a focus outside the mount too');
        const missing = await get(`?root=${encodeURIComponent(`${rel}/nope`)}`);
        assert.equal(missing.statusCode, 404);
        assert.equal(missing.json<{ code: string }>().code, 'LUX_NO_CGROUP');
        assert.equal((await get('?root=x&extra=1')).statusCode, 404, 'unknown query keys are ignored');
        assert.equal((await server.app.inject({ url: '/api/probes/cgroups' })).statusCode, 401);
      } finally {
        await server.stop();
      }
    } finally {
      churn?.kill('SIGKILL');
      if (sleeper) {
        sleeper.kill('SIGKILL'); // a frozen process still dies of SIGKILL on cgroup v2
        await new Promise((r) => (sleeper!.exitCode !== null || sleeper!.signalCode !== null ? r(null) : sleeper!.once('exit', r)));
      }
      await removeTree(top);
    }
    assert.equal(existsSync(top), false, 'our cgroups are gone');
  }));

test('probeCgroups reads a few hundred cgroups quickly and stops at maxNodes', () =>
  withCheckLock(async () => {
    const mount = cgroupMountPoint();
    const rel = `/luxlab-probe-test-${process.pid}-wide`;
    try {
      for (let i = 0; i < 20; i++) for (let j = 0; j < 20; j++) mkdirSync(`${mount}${rel}/s${i}/u${j}`, { recursive: true });
      const t0 = performance.now();
      const snap = await probeCgroups({ root: rel });
      const ms = performance.now() - t0;
      assert.ok(ms < 2000, `quick (${Math.round(ms)} ms)`);
      assert.equal(snap.nodes.length, 300, 'the default limit');
      assert.equal(snap.truncated, 1 + 20 + 400 - 300);
      assert.equal(snap.nodes.filter((n) => n.depth === 1).length, 20, 'breadth first: every first level is there');
    } finally {
      await removeTree(mount + rel);
    }
    assert.equal(existsSync(mount + rel), false);
  }));
