import {
  cgroupMount,
  cgroupOf,
  cmdline,
  defineCheck,
  descendants,
  keyedFile,
  listCgroups,
  newCgroupIn,
  readCgroupFile,
  shortCgroup,
  verifierCgroup,
  type RunResult,
} from '../../../kernels/check/index.ts';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

// The quota asked for: low enough that throttling is plain on any machine with a CPU to spare.
const PERCENT = 25;
// How far the measured share may be from it, in percentage points of one CPU. The quota is
// exact per 100 ms period; over the window a period's worth at either edge and a scheduler
// tick of overrun per period (4 ms at HZ=250) are at most ~3 points, doubled for emulated CPUs.
const TOLERANCE = 6;
const WINDOW_MS = 2000;
// The burner: one shell spinning on one CPU, for a bounded time (timeout exits 124 when it
// had to stop it). The same one runs unconstrained first, for comparison.
const LOOP = 'while :; do :; done';
const BURNER = ['timeout', '5', 'sh', '-c', LOOP];
const BURNER_TEXT = `timeout 5 sh -c '${LOOP}'`;

/** The spinning sh among pid and its descendants (matched by argv: before exec, the wrappers are shells too). */
const burnerIn = (pid: number) => [pid, ...descendants(pid)].find((p) => cmdline(p).join(' ') === `sh -c ${LOOP}`);

interface Usage {
  /** CPU time over wall time, in % of one CPU. */
  percent: number;
  /** cpu.stat at the end of the window. */
  stat: Record<string, number>;
}

/** usage_usec of a cgroup's cpu.stat over WINDOW_MS of wall time; null if the cgroup went away meanwhile. */
async function usageOver(path: string): Promise<Usage | null> {
  const u0 = keyedFile(path, 'cpu.stat')['usage_usec'];
  const t0 = performance.now();
  await sleep(WINDOW_MS);
  const stat = keyedFile(path, 'cpu.stat');
  const t1 = performance.now();
  const u1 = stat['usage_usec'];
  if (u0 === undefined || u1 === undefined) return null;
  return { percent: (u1 - u0) / ((t1 - t0) * 10), stat };
}

const pct = (n: number) => `${n.toFixed(1)} %`;
const exited = (r: RunResult) => `exit status ${r.code ?? r.signal}${r.stderr.trim() ? `, stderr: ${r.stderr.trim()}` : ''}`;

export default defineCheck(
  async (t) => {
    const mount = cgroupMount();
    const cpus = availableParallelism(); // sched_getaffinity, like Go's runtime.NumCPU
    const most = 100 * cpus;
    const run = (args: string[]) => t.run(args, { timeoutMs: 15_000 });

    const bad = [await run(['0', 'true']), await run([String(most + 1), 'true']), await run(['half', 'true']), await run([String(PERCENT)])];
    t.assert({
      id: 'usage-error',
      title: 'A percent outside 1–100 × CPUs, one that is not a number, or no command: exit status 2',
      pass: bad.every((r) => r.code === 2),
      expected: `\`cgroup-cpu 0 true\`, \`cgroup-cpu ${most + 1} true\` (${cpus} CPUs), \`cgroup-cpu half true\`, \`cgroup-cpu ${PERCENT}\`: each → 2`,
      observed: bad.map((r) => `\`${r.command}\` → ${r.code ?? r.signal}`).join(', '),
      hint: `Check the arguments before touching any cgroup: percent is a whole number from 1 to 100 × runtime.NumCPU() (here ${most}); print the usage line to stderr and os.Exit(2).`,
    });

    // The same burner with no limit, in a cgroup of the verifier's: what a CPU gives here.
    const free = verifierCgroup(t);
    const freeRun = free.start(BURNER[0]!, BURNER.slice(1));
    if (!(await t.waitFor(() => burnerIn(freeRun.pid), 5000, freeRun))) throw new Error(`setup: the unconstrained burner did not start: ${freeRun.stderr().trim()}`);
    const baseline = await usageOver(free.path);
    await freeRun.kill();
    if (!baseline) throw new Error(`setup: no cpu.stat usage for ${free.rel}`);

    const before = new Set(listCgroups());
    const running = t.start([String(PERCENT), ...BURNER], { timeoutMs: 20_000 });
    // The cgroup, as soon as anything of the program is in it: at a low quota even the start
    // of the command is slow.
    const where = await newCgroupIn(t, running, before);
    const rel = where ? shortCgroup(where) : '(none)';
    t.must({
      id: 'own-cgroup',
      title: `\`cgroup-cpu ${PERCENT} ${BURNER_TEXT}\` runs the command in a new cgroup`,
      pass: !!where,
      expected: `a cgroup the program made (e.g. /cgroup-cpu-<its pid>), outside its own (a jail under /luxlab)`,
      observed: where ? `the program's command is in ${rel}` : `no process of the program in a new cgroup; ${running.exited() ? exited(await running.done) : `they are in ${[...new Set([running.pid, ...descendants(running.pid)].map((p) => shortCgroup(cgroupOf(p))))].join(', ')}`}`,
      hint: /subtree_control/.test(running.stderr())
        ? "A cgroup that holds processes — yours, the program's own — cannot hand controllers down to children (the no-internal-process rule). mkdir the new cgroup directly under the cgroup2 mount, after writing \"+cpu\" to the root's cgroup.subtree_control."
        : 'mkdir a cgroup directly under the cgroup2 mount, set cpu.max, and have the command join it before it runs: re-exec /proc/self/exe as a child that writes "0" to the new cgroup.procs, then syscall.Exec the command.',
    });
    const max = readCgroupFile(where!, 'cpu.max');
    const usage = await usageOver(where!);
    await t.snapshotCgroups('/', [rel]); // after the window: reading the whole tree takes a while
    const want = `${PERCENT * 1000} 100000`;
    t.assert({
      id: 'cpu-max',
      title: `cpu.max of that cgroup reads "${want}" while the command runs`,
      pass: max === want,
      expected: `${rel}/cpu.max: ${want} (${PERCENT * 1000} µs of CPU time in each 100000 µs period)`,
      observed: max === null ? `${rel}/cpu.max does not exist (is the cpu controller in the root's cgroup.subtree_control?)` : `${rel}/cpu.max: ${max}`,
      hint:
        max === 'max 100000'
          ? 'cpu.max is still the default (no limit). Write "<percent × 1000> 100000" to it: the quota and the period, both in microseconds.'
          : 'The format is "$MAX $PERIOD" in microseconds: percent % of one CPU is percent × 1000 µs in each 100000 µs (100 ms) period.',
    });

    const lo = PERCENT - TOLERANCE;
    const hi = PERCENT + TOLERANCE;
    const roomy = baseline.percent >= hi + 10; // or this machine cannot show the difference
    t.assert({
      id: 'cpu-usage',
      title: `The command gets ${PERCENT} % of a CPU (±${TOLERANCE} points), where the same burner unconstrained gets far more`,
      pass: !!usage && usage.percent >= lo && usage.percent <= hi && roomy,
      expected: `usage_usec of cpu.stat over ${WINDOW_MS / 1000} s of wall time: ${lo}–${hi} % of one CPU; unconstrained, at least ${hi + 10} %`,
      observed: `${usage ? pct(usage.percent) : `the cgroup was gone before ${WINDOW_MS / 1000} s`}; unconstrained ${pct(baseline.percent)}${roomy ? '' : ' (this machine is too busy to tell a quota from a loaded CPU: try again when it is idle)'}`,
      hint:
        usage && usage.percent > hi
          ? 'The command runs faster than its quota: is cpu.max set in the cgroup the command is in (not cpu.weight, which only shares a busy CPU)?'
          : 'The command gets less than its quota: is the quota percent × 1000 µs per 100000 µs, not per a longer period?',
    });

    const burner = burnerIn(running.pid);
    const burnerCg = burner ? cgroupOf(burner) : null;
    t.assert({
      id: 'command-inside',
      title: 'The command itself runs in that cgroup',
      pass: !!burner && burnerCg === where,
      expected: `the burner (\`sh -c '${LOOP}'\`) in ${rel}`,
      observed: burner ? `the burner (PID ${burner}) is in ${shortCgroup(burnerCg)}` : `no burner after ${WINDOW_MS / 1000} s${running.exited() ? '; the program has exited' : ''}`,
      hint: 'The command must run inside the cgroup, not only the program: the child joins the cgroup, then execs the command, which keeps its cgroup (and so does everything it forks).',
    });

    const throttled = usage?.stat['nr_throttled'];
    t.assert({
      id: 'throttled',
      title: 'The kernel throttled the cgroup (cpu.stat nr_throttled > 0)',
      pass: (throttled ?? 0) > 0,
      expected: 'nr_throttled > 0: periods in which the cgroup used up its quota and waited',
      observed: usage ? `nr_periods ${usage.stat['nr_periods'] ?? '(none)'}, nr_throttled ${throttled ?? '(none)'}, throttled_usec ${usage.stat['throttled_usec'] ?? '(none)'}` : 'the cgroup was gone',
      hint: 'Only cpu.max throttles: a cgroup that can run whenever it likes is never throttled. Set it on the cgroup the command runs in.',
    });

    const r = await running.done;
    t.equal('exit-code', "The command's exit status is passed back (timeout's 124)", r.code, 124, "Wait for the command and exit with its status (exec.ExitError's ExitCode()).");

    t.assert({
      id: 'cgroup-removed',
      title: 'After the command ends, its cgroup is removed',
      pass: !existsSync(where!),
      expected: `${rel} gone when cgroup-cpu exits`,
      observed: existsSync(where!) ? `${rel} still exists (cgroup.procs: ${readCgroupFile(where!, 'cgroup.procs') || 'empty'})` : `${rel} is gone`,
      hint: 'rmdir(2) the cgroup once the command has exited (syscall.Rmdir); it fails with EBUSY while any process, your own program included, is still in it.',
    });

    // Up to 100 × CPUs: a multi-threaded command may use several CPUs' worth.
    const r2 = await run([String(most), 'sh', '-c', 'cat "$0$(sed -n "s/^0:://p" /proc/self/cgroup)/cpu.max"', mount]);
    const wantMost = `${most * 1000} 100000`;
    t.assert({
      id: 'percent-per-cpu',
      title: `\`cgroup-cpu ${most} …\` is accepted on ${cpus} CPUs: cpu.max reads "${wantMost}" inside`,
      pass: r2.code === 0 && r2.stdout.trim() === wantMost,
      expected: `the command prints its cgroup's cpu.max: ${wantMost}; exit status 0`,
      observed: `printed "${r2.stdout.trim()}"; ${exited(r2)}`,
      hint: `percent is of one CPU: 100 is a whole CPU, and ${cpus} CPUs allow up to ${most} (cpu.max's quota may be larger than its period).`,
    });
  },
  { timeoutMs: 60_000 },
);
