import {
  cgroupOf,
  defineCheck,
  descendants,
  kernelLogFrom,
  keyedFile,
  listCgroups,
  newCgroupIn,
  oomKilled,
  readCgroupFile,
  shortCgroup,
  type CheckContext,
  type RunResult,
} from '../../../kernels/check/index.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const MiB = 1 << 20;
// Small limits: an OOM kill must stay inside the cgroup, far from what the machine has.
const FIT_LIMIT = 64;
const FIT_ALLOC = 24;
const OVER_LIMIT = 32;
const OVER_ALLOC = 100;
// GNU tail keeps a line that has no newline in memory, whole: `head -c N | tail` allocates N.
// Under the limit, tail then holds it (its output pipe is not read) until the check says go,
// so that the peak is a plateau any way of measuring it can see. Over the limit, the shell
// notes tail's status, then waits for go too: the cgroup is still there to be read.
const FIT_SCRIPT = `head -c ${FIT_ALLOC}M /dev/zero | tail | { read go < "$0"; cat > /dev/null; }`;
const OVER_SCRIPT = `head -c ${OVER_ALLOC}M /dev/zero | tail > /dev/null; s=$?; echo $s > "$1"; read go < "$0"; exit $s`;
// The peak line, as the lesson fixes it: "peak: 25391104 bytes (24.2 MiB)", on stderr.
const PEAK_LINE = /^peak: (\d+) bytes \((\d+\.\d) MiB\)$/m;

const exited = (r: RunResult) => `exit status ${r.code ?? r.signal}${r.stderr.trim() ? `, stderr: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`;
const mib = (n: number | null | undefined) => (typeof n === 'number' && Number.isFinite(n) ? `${(n / MiB).toFixed(1)} MiB` : '(none)');

/** Let a shell waiting in `read go < fifo` go on (blocks until it reads; gives up after 5 s). */
async function release(t: CheckContext, fifo: string): Promise<void> {
  await t.sh('sh', ['-c', 'echo go > "$0"', fifo], { timeoutMs: 5000, allowFail: true });
}

interface Peak {
  bytes: number;
  mib: string;
}
const peakOf = (r: RunResult): Peak | null => {
  const m = PEAK_LINE.exec(r.stderr);
  return m ? { bytes: Number(m[1]), mib: m[2]! } : null;
};

/**
 * Is the printed peak what the kernel saw — memory.peak read by the check while the cgroup was
 * there, less 5 % for a program that samples memory.current — and at most the limit (plus
 * 1 MiB: a process the OOM killer has picked may be charged a little over it as it dies), its
 * MiB right?
 */
function peakOk(p: Peak | null, kernel: number, limit: number): boolean {
  return !!p && p.bytes >= kernel * 0.95 && p.bytes <= limit + MiB && Math.abs(Number(p.mib) - p.bytes / MiB) <= 0.051;
}

export default defineCheck(
  async (t) => {
    const run = (args: string[]) => t.run(args, { timeoutMs: 15_000 });

    const bad = [await run(['0', 'true']), await run(['lots', 'true']), await run([String(FIT_LIMIT)])];
    t.assert({
      id: 'usage-error',
      title: 'A limit that is not a whole number of MiB ≥ 1, or no command: exit status 2',
      pass: bad.every((r) => r.code === 2),
      expected: `\`cgroup-mem 0 true\`, \`cgroup-mem lots true\`, \`cgroup-mem ${FIT_LIMIT}\`: each → 2`,
      observed: bad.map((r) => `\`${r.command}\` → ${r.code ?? r.signal}`).join(', '),
      hint: 'Check the arguments before touching any cgroup: print the usage line to stderr and os.Exit(2).',
    });

    // ---- Under the limit: 24 MiB in a 64 MiB cgroup. ----
    const fifo = join(t.tmp, 'go');
    await t.sh('mkfifo', [fifo]);
    const before = new Set(listCgroups());
    const fit = t.start([String(FIT_LIMIT), 'sh', '-c', FIT_SCRIPT, fifo], { timeoutMs: 30_000 });
    const where = await newCgroupIn(t, fit, before);
    const rel = where ? shortCgroup(where) : '(none)';
    t.must({
      id: 'own-cgroup',
      title: `\`cgroup-mem ${FIT_LIMIT} sh -c '…'\` runs the command in a new cgroup`,
      pass: !!where,
      expected: `a cgroup the program made (e.g. /cgroup-mem-<its pid>), outside its own (a jail under /luxlab)`,
      observed: where ? `the command is in ${rel}` : `no process of the program in a new cgroup; ${fit.exited() ? exited(await fit.done) : `they are in ${[...new Set([fit.pid, ...descendants(fit.pid)].map((p) => shortCgroup(cgroupOf(p))))].join(', ')}`}`,
      hint: 'mkdir a cgroup directly under the cgroup2 mount, set memory.max, and have the command join it before it runs: re-exec /proc/self/exe as a child that writes "0" to the new cgroup.procs, then syscall.Exec the command.',
    });
    const fitLimit = FIT_LIMIT * MiB;
    const max = readCgroupFile(where!, 'memory.max');
    const swap = readCgroupFile(where!, 'memory.swap.max');

    // The allocation is done when tail holds it all; or it was killed; or the program ended.
    const fitCurrent = await t.waitFor(() => {
      const n = Number(readCgroupFile(where!, 'memory.current') ?? NaN);
      const killed = (keyedFile(where!, 'memory.events')['oom_kill'] ?? 0) > 0;
      return n >= (FIT_ALLOC - 1) * MiB || killed || !existsSync(where!) ? n : undefined;
    }, 20_000, fit);
    await sleep(300); // tail's last reads; a program sampling memory.current sees the plateau too
    const held = Math.max(fitCurrent ?? 0, Number(readCgroupFile(where!, 'memory.current') ?? 0));
    const fitPeak = Number(readCgroupFile(where!, 'memory.peak') ?? NaN);
    const fitEvents = keyedFile(where!, 'memory.events');
    await t.snapshotCgroups('/', [rel]);
    await release(t, fifo);
    const fitRun = await fit.done;

    t.assert({
      id: 'limit-bytes',
      title: `memory.max reads back ${fitLimit} (${FIT_LIMIT} MiB, in bytes) while the command runs`,
      pass: max === String(fitLimit),
      expected: `${rel}/memory.max: ${fitLimit}`,
      observed: max === null ? `${rel}/memory.max does not exist (is the memory controller in the root's cgroup.subtree_control?)` : `${rel}/memory.max: ${max}${max === 'max' ? ' (no limit)' : /^\d+$/.test(max) ? ` (${mib(Number(max))})` : ''}`,
      hint:
        max === String(FIT_LIMIT * 1_000_000)
          ? 'That is 64 million bytes. The MiB of memory.max (and of its M suffix) is 1048576 bytes: write limit × 1024 × 1024.'
          : 'Write the limit in bytes, limit-mb × 1048576, to memory.max of the cgroup the command runs in (not memory.high, which only throttles).',
    });
    t.assert({
      id: 'swap-off',
      title: 'The cgroup may not swap (memory.swap.max is 0, where the kernel has it)',
      pass: swap === null || swap === '0',
      expected: `${rel}/memory.swap.max: 0 (or no such file: no swap accounting)`,
      observed: swap === null ? 'no memory.swap.max on this kernel' : `${rel}/memory.swap.max: ${swap}`,
      hint: 'memory.max limits memory, not swap: with swap on, the command would page out instead of being stopped. Write 0 to memory.swap.max when the file exists.',
    });
    t.assert({
      id: 'fits',
      title: `${FIT_ALLOC} MiB under a ${FIT_LIMIT} MiB limit: allocated, no OOM kill, exit status 0`,
      pass: held >= (FIT_ALLOC - 1) * MiB && (fitEvents['oom_kill'] ?? 0) === 0 && fitRun.code === 0,
      expected: `memory.current reaches about ${FIT_ALLOC} MiB (at least ${FIT_ALLOC - 1}); memory.events oom_kill 0; exit status 0`,
      observed: `memory.current ${mib(held)}; memory.events oom_kill ${fitEvents['oom_kill'] ?? '(none)'}; ${exited(fitRun)}`,
      hint: `${FIT_ALLOC} MiB fits in ${FIT_LIMIT} MiB: is memory.max really ${fitLimit} bytes? Pass the command's exit status on (0 here).`,
    });
    const fitRemoved = !existsSync(where!);

    // ---- Over the limit: 100 MiB in a 32 MiB cgroup. ----
    const done = join(t.tmp, 'status');
    const log = kernelLogFrom();
    const over = t.start([String(OVER_LIMIT), 'sh', '-c', OVER_SCRIPT, fifo, done], { timeoutMs: 40_000 });
    const overCg = (await newCgroupIn(t, over, before)) ?? null;
    const overRel = overCg ? shortCgroup(overCg) : '(none)';
    const status = await t.waitFor(() => {
      try {
        const s = readFileSync(done, 'utf8');
        return /^\d+\n$/.test(s) ? Number(s) : undefined;
      } catch {
        return undefined;
      }
    }, 15_000, over);
    const overPeak = overCg ? Number(readCgroupFile(overCg, 'memory.peak') ?? NaN) : NaN;
    const overEvents = overCg ? keyedFile(overCg, 'memory.events') : {};
    const overCurrent = overCg ? Number(readCgroupFile(overCg, 'memory.current') ?? NaN) : NaN;
    // A shell whose allocation never ended is not waiting to be released: stop it all.
    if (status !== undefined) await release(t, fifo);
    const overRun = status === undefined ? await over.kill() : await over.done;
    const kills = log()
      .map(oomKilled)
      .filter((k) => k?.memcg)
      .map((k) => `${k!.comm} ${k!.pid}`);

    t.assert({
      id: 'oom-killed',
      title: `${OVER_ALLOC} MiB under a ${OVER_LIMIT} MiB limit: the OOM killer kills the allocation (SIGKILL)`,
      pass: status === 137 && (overEvents['oom_kill'] ?? 0) >= 1,
      expected: `tail ends with status 137 (128 + SIGKILL); ${overRel}/memory.events oom_kill ≥ 1`,
      observed:
        status === undefined
          ? `after 15 s tail had neither finished nor been killed: memory.current ${mib(overCurrent)}, memory.events ${JSON.stringify(overEvents)}`
          : `tail ended with status ${status}; memory.events oom ${overEvents['oom'] ?? '(none)'}, oom_kill ${overEvents['oom_kill'] ?? '(none)'}; kernel log: ${kills.length ? `Killed process ${kills.join(', ')}` : 'no memory cgroup OOM kill'}`,
      hint:
        status === undefined
          ? 'The allocation crawls without being stopped: memory.high throttles and reclaims, but never kills. The hard limit is memory.max.'
          : 'Set memory.max (in bytes) on the cgroup the command runs in, and memory.swap.max to 0: otherwise the command can take more, or page out.',
    });
    t.equal('exit-code', "The command's exit status is passed back (0 when it fits, 137 when the OOM killer ended it)", [fitRun.code, overRun.code], [0, 137], "Wait for the command and exit with its status (exec.ExitError's ExitCode()).");

    // The output is part of the contract: the peak, against what the kernel saw while the cgroup was there.
    const p1 = peakOf(fitRun);
    const p2 = peakOf(overRun);
    const overLimit = OVER_LIMIT * MiB;
    const fitFloor = Number.isFinite(fitPeak) ? fitPeak : (FIT_ALLOC - 1) * MiB;
    const overFloor = Number.isFinite(overPeak) ? overPeak : overLimit * 0.9;
    const show = (p: Peak | null) => (p ? `peak: ${p.bytes} bytes (${p.mib} MiB)` : 'no peak line');
    t.assert({
      id: 'peak-reported',
      title: 'When the command ends, the peak line on stderr says what the kernel measured',
      pass: peakOk(p1, fitFloor, fitLimit) && peakOk(p2, overFloor, overLimit),
      expected: `"peak: <bytes> bytes (<MiB, one decimal> MiB)": ${mib(fitFloor)}–${FIT_LIMIT} MiB under the ${FIT_LIMIT} MiB limit (memory.peak read by the check: ${Number.isFinite(fitPeak) ? fitPeak : 'none'}); ${mib(overFloor)}–${OVER_LIMIT} MiB for the OOM-killed one (memory.peak: ${Number.isFinite(overPeak) ? overPeak : 'none'})`,
      observed: `${show(p1)}; ${show(p2)}`,
      hint: 'Read memory.peak (the kernel\'s high-water mark; Linux 5.19) after the command ends and before you remove the cgroup, and print exactly `peak: %d bytes (%.1f MiB)` with MiB = bytes / 1048576. memory.current after the end is what is left, not the peak.',
    });

    const overRemoved = overCg === null || !existsSync(overCg);
    t.assert({
      id: 'cgroup-removed',
      title: 'After the command ends, its cgroup is removed (an OOM kill too)',
      pass: fitRemoved && overRemoved,
      expected: `${rel} and ${overRel} gone when cgroup-mem exits`,
      observed: `${rel}: ${fitRemoved ? 'gone' : 'still there'}; ${overRel}: ${overRemoved ? 'gone' : 'still there'}`,
      hint: 'rmdir(2) the cgroup once the command has exited, however it ended (syscall.Rmdir); it fails with EBUSY while any process, your own program included, is still in it.',
    });
  },
  { timeoutMs: 90_000 },
);
