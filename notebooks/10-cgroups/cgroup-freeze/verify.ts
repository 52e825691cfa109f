import {
  cgroupMount,
  cgroupOf,
  cgroupPids,
  children,
  defineCheck,
  keyedFile,
  killAndRemoveCgroup,
  listCgroups,
  procCpu,
  readCgroupFile,
  shortCgroup,
  verifierCgroup,
  type CheckContext,
  type RunResult,
  type Started,
} from '../../../kernels/check/index.ts';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

// The process to freeze: a shell busy loop that burns CPU as fast as it can (so any run shows
// as clock ticks in /proc/<pid>/stat), under timeout in case everything else fails. SIGKILL
// also ends a frozen process; SIGTERM would wait for the thaw.
const LOOP = 'timeout -s KILL 90 sh -c "while :; do :; done"';
const WINDOW_MS = 1000;

interface Progress {
  ticks: number;
  state: string;
}

/** CPU time (utime + stime, clock ticks) a process used over WINDOW_MS, and its state at the end. */
async function progress(pid: number): Promise<Progress | null> {
  const a = procCpu(pid);
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const b = procCpu(pid);
  return a && b ? { ticks: b.utime + b.stime - (a.utime + a.stime), state: b.state } : null;
}

const showProgress = (p: Progress | null) => (p ? `${p.ticks} ticks of CPU in ${WINDOW_MS / 1000} s, state ${p.state}` : 'the process is gone');

/** The freezer's view of a cgroup, as files say it. */
function freezer(path: string | null): { freeze: string | null; frozen: number | undefined; text: string } {
  const freeze = path ? readCgroupFile(path, 'cgroup.freeze') : null;
  const frozen = path ? keyedFile(path, 'cgroup.events')['frozen'] : undefined;
  return { freeze, frozen, text: `${shortCgroup(path)}: cgroup.freeze ${freeze ?? '(none)'}, cgroup.events frozen ${frozen ?? '(none)'}` };
}

/** The sh busy loop under a started `timeout`, once it runs in `where` (absolute cgroup path). */
async function loopIn(t: CheckContext, loops: number[], started: Started, where: string): Promise<number> {
  const pid = await t.waitFor(() => children(started.pid).find((c) => cgroupOf(c) === where), 5000, started);
  if (!pid) throw new Error(`setup: the busy loop did not start in ${shortCgroup(where)}: ${started.stderr().trim()}`);
  loops.push(pid);
  const base = await progress(pid);
  if (!base || base.ticks === 0) throw new Error(`setup: the busy loop makes no progress (${showProgress(base)})`);
  return pid;
}

const exited = (r: RunResult) => `exit status ${r.code ?? r.signal}${r.stderr.trim() ? `, stderr: ${r.stderr.trim()}` : ''}`;

/**
 * End the loops while their parent `timeout` lives: it reaps them, then exits itself. Killed
 * with their process group instead (the check's cleanup), a loop can outlive its parent for a
 * moment and wait as a zombie for PID 1, which on a machine without systemd may be slow to reap.
 */
async function stopLoops(t: CheckContext, loops: number[]): Promise<void> {
  for (const pid of loops.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      continue; // gone
    }
    await t.waitFor(() => !existsSync(`/proc/${pid}`), 3000);
  }
}

export default defineCheck(
  async (t) => {
    const loops: number[] = []; // the busy loops started, ended before the check's cleanup
    try {
      await check(t, loops);
    } finally {
      await stopLoops(t, loops);
    }
  },
  { timeoutMs: 90_000 },
);

async function check(t: CheckContext, loops: number[]): Promise<void> {
  const mount = cgroupMount();
  const run = (args: string[]) => t.run(args, { timeoutMs: 15_000 });

  const bad = [await run([]), await run(['not-a-pid'])];
  t.assert({
    id: 'usage-error',
    title: 'Without a pid, or with one that is not a number, it exits with status 2',
    pass: bad.every((r) => r.code === 2),
    expected: '`cgroup-freeze` → 2, `cgroup-freeze not-a-pid` → 2',
    observed: bad.map((r) => `\`${r.command}\` → ${r.code ?? r.signal}`).join(', '),
    hint: 'Check the arguments before doing anything: print the usage line to stderr and os.Exit(2).',
  });

  // ---- The ordinary branch: a process in a cgroup of the verifier's. ----
  const box = verifierCgroup(t);
  const a = await loopIn(t, loops, box.start('/bin/sh', ['-c', `exec ${LOOP}`]), box.path);

  const fa = await run([String(a)]);
  t.must({
    id: 'freeze-succeeds',
    title: `\`cgroup-freeze ${a}\` (a process in ${box.rel}) exits with status 0`,
    pass: fa.code === 0,
    expected: 'exit status 0',
    observed: exited(fa),
    hint: `Read the process's cgroup from the "0::" line of /proc/${a}/cgroup, write 1 to cgroup.freeze there, then wait for "frozen 1" in cgroup.events.`,
  });
  const aNow = cgroupOf(a);
  t.assert({
    id: 'ordinary-not-moved',
    title: 'A process already in a non-root cgroup stays in it',
    pass: aNow === box.path,
    expected: `pid ${a} still in ${box.rel}`,
    observed: `pid ${a} in ${shortCgroup(aNow)}`,
    hint: 'Only a process in the root cgroup needs a cgroup of its own. Any other cgroup has a cgroup.freeze: freeze the cgroup the process is in, with everything else in it.',
  });
  const boxFrozen = freezer(box.path);
  t.assert({
    id: 'ordinary-frozen',
    title: `Its cgroup ${box.rel} is frozen, as the kernel says`,
    pass: boxFrozen.freeze === '1' && boxFrozen.frozen === 1,
    expected: `${box.rel}: cgroup.freeze 1, cgroup.events frozen 1 (when the program exits)`,
    observed: boxFrozen.text,
    hint:
      procCpu(a)?.state === 'T'
        ? 'The process is stopped by a signal (state T), not frozen: SIGSTOP is visible to it and to its parent (waitpid reports it), and SIGCONT from anyone undoes it. Write 1 to the cgroup\'s cgroup.freeze instead.'
        : 'Write "1" to cgroup.freeze of the process\'s cgroup, then wait until cgroup.events shows "frozen 1" before you exit.',
  });
  const aStill = await progress(a);
  t.assert({
    id: 'ordinary-stopped',
    title: 'The frozen process makes no CPU progress',
    pass: !!aStill && aStill.ticks === 0 && aStill.state !== 'R',
    expected: `0 ticks of CPU in ${WINDOW_MS / 1000} s (utime + stime in /proc/${a}/stat unchanged), not running (state not R)`,
    observed: showProgress(aStill),
    hint: 'Every task of a frozen cgroup stops the next time it would run user code. Is cgroup.events "frozen 1" before you exit?',
  });

  const ta = await run(['--thaw', String(a)]);
  t.must({
    id: 'thaw-succeeds',
    title: `\`cgroup-freeze --thaw ${a}\` exits with status 0`,
    pass: ta.code === 0,
    expected: 'exit status 0',
    observed: exited(ta),
    hint: 'With --thaw, write 0 to cgroup.freeze of the process\'s cgroup and wait for "frozen 0" in cgroup.events.',
  });
  const boxThawed = freezer(box.path);
  const aMoving = await progress(a);
  t.assert({
    id: 'ordinary-thawed',
    title: `After --thaw, ${box.rel} is thawed and the process runs again`,
    pass: boxThawed.freeze === '0' && boxThawed.frozen === 0 && cgroupOf(a) === box.path && !!aMoving && aMoving.ticks > 0,
    expected: `${box.rel}: cgroup.freeze 0, cgroup.events frozen 0; pid ${a} still there and using CPU again`,
    observed: `${boxThawed.text}; pid ${a} in ${shortCgroup(cgroupOf(a))}, ${showProgress(aMoving)}`,
    hint: 'Thawing is the same file: write "0" to cgroup.freeze of the process\'s cgroup, and wait for "frozen 0".',
  });

  // ---- The root branch: a process in the root cgroup of the mount, which has no cgroup.freeze. ----
  const rooted = t.background('/bin/sh', ['-c', `echo 0 > "$0/cgroup.procs" && exec ${LOOP}`, mount]);
  const b = await loopIn(t, loops, rooted, mount);
  // Wherever the program put it, the verifier removes it, frozen or not: SIGKILL ends even a
  // frozen process, and a cgroup made during the check goes with it (the host guard does too).
  // Where it was last seen is kept: by the time the deferred cleanup runs, the check's
  // cleanup may have killed the loop already, and /proc/<pid>/cgroup is gone with it.
  const had = new Set(listCgroups());
  let lastSeen: string | null = null;
  t.defer(() => {
    const now = cgroupOf(b) ?? lastSeen;
    try {
      process.kill(b, 'SIGKILL');
    } catch {
      /* gone */
    }
    if (now && now !== mount && !had.has(now.slice(mount.length + 1))) killAndRemoveCgroup(now);
  });

  const fb = await run([String(b)]);
  t.must({
    id: 'root-freeze-succeeds',
    title: `\`cgroup-freeze ${b}\` (a process in the root cgroup) exits with status 0`,
    pass: fb.code === 0,
    expected: 'exit status 0',
    observed: exited(fb),
    hint: `The root cgroup has no cgroup.freeze (${mount}/cgroup.freeze does not exist: freezing it would stop the machine). Make a cgroup of its own under the root (mkdir ${mount}/cgroup-freeze-${b}), move the process into it (write ${b} to its cgroup.procs), then freeze that one.`,
  });
  const own = cgroupOf(b);
  lastSeen = own;
  const ownIsNew = !!own && own !== mount && dirname(own) === mount && !had.has(own.slice(mount.length + 1));
  const ownProcs = own ? cgroupPids(own) : [];
  t.must({
    id: 'root-moved',
    title: 'The process from the root cgroup is moved into a new cgroup of its own, directly under the root',
    pass: ownIsNew && ownProcs.length === 1 && ownProcs[0] === b,
    expected: `pid ${b} alone in a cgroup made by the program directly under the root (e.g. /cgroup-freeze-${b}), when the program exits`,
    observed: `pid ${b} in ${shortCgroup(own)}${own === mount ? ' (the root cgroup)' : ''}${own && own !== mount ? `, which holds ${ownProcs.length} process(es)${dirname(own) !== mount ? ', not directly under the root' : ''}${had.has(own.slice(mount.length + 1)) ? ', and existed before' : ''}` : ''}`,
    hint:
      own === mount
        ? 'The process is in the root cgroup again (or still). Move it into a new cgroup and leave it there: the cgroup outlives the program, since the frozen process lives on in it. Do not move it back or remove the cgroup when you exit.'
        : `mkdir the new cgroup directly under the mount (${mount}), not under your own cgroup, and write only this pid to its cgroup.procs.`,
  });
  const ownFrozen = freezer(own);
  t.assert({
    id: 'root-frozen',
    title: `That cgroup ${shortCgroup(own)} is frozen`,
    pass: ownFrozen.freeze === '1' && ownFrozen.frozen === 1,
    expected: `${shortCgroup(own)}: cgroup.freeze 1, cgroup.events frozen 1`,
    observed: ownFrozen.text,
    hint: 'After the move, write "1" to the new cgroup\'s cgroup.freeze and wait for "frozen 1" in its cgroup.events.',
  });
  await t.snapshotCgroups('/', [shortCgroup(own)]);
  const bStill = await progress(b);
  t.assert({
    id: 'root-stopped',
    title: 'The process moved out of the root makes no CPU progress',
    pass: !!bStill && bStill.ticks === 0 && bStill.state !== 'R',
    expected: `0 ticks of CPU in ${WINDOW_MS / 1000} s, not running (state not R)`,
    observed: showProgress(bStill),
    hint: 'Freeze the cgroup you moved it into, and wait for "frozen 1".',
  });

  const tb = await run(['--thaw', String(b)]);
  const ownThawed = freezer(own);
  const bMoving = await progress(b);
  const bThen = cgroupOf(b);
  t.assert({
    id: 'root-thawed',
    title: `\`cgroup-freeze --thaw ${b}\` thaws ${shortCgroup(own)}, and the process runs again`,
    pass: tb.code === 0 && ownThawed.freeze === '0' && ownThawed.frozen === 0 && !!bMoving && bMoving.ticks > 0,
    expected: `exit status 0; ${shortCgroup(own)}: cgroup.freeze 0, cgroup.events frozen 0; the process using CPU again`,
    observed: `${exited(tb)}; ${ownThawed.text}; ${showProgress(bMoving)}`,
    hint: 'The process is in its own cgroup now, not the root: --thaw writes 0 to that cgroup\'s cgroup.freeze, like any other.',
  });
  t.assert({
    id: 'own-cgroup-kept',
    title: 'After the thaw the process is still in that cgroup (it outlives the program)',
    pass: bThen === own && own !== null && readCgroupFile(own, 'cgroup.procs') !== null,
    expected: `pid ${b} in ${shortCgroup(own)}`,
    observed: `pid ${b} in ${shortCgroup(bThen)}${bThen === mount ? ' (the root cgroup)' : ''}`,
    hint: 'Thawing changes cgroup.freeze only; leave the process where it is. Its cgroup goes when the process does (rmdir by whoever ends it: here, the check).',
  });
}
