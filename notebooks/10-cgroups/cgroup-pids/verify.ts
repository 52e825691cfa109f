import { closeSync, constants, existsSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  cgroupMount,
  cgroupOf,
  cgroupPids,
  defineCheck,
  descendants,
  comm,
  keyedFile,
  listCgroups,
  readCgroupFile,
  shortCgroup,
  type RunResult,
} from '../../../kernels/check/index.ts';

const MAX = 8;
const TRIES = 30;
/** Tasks of the command that are not the loop's forks: timeout, the outer sh, the loop's sh. */
const OVERHEAD = 3;
const EXIT = 7;
/** strerror(EAGAIN), as busybox sh prints it when fork fails ("can't fork: …"). */
const EAGAIN = 'Resource temporarily unavailable';

// The command (standard tools only). A loop in its own shell forks `sleep` in the background,
// TRIES times at most, saying how many it started; busybox sh gives up at the first fork that
// fails, and prints why. The outer shell then waits on a FIFO (reading it forks nothing) so
// that the check can look at the cgroup while the sleeps live, and exits with EXIT: the
// sleeps are left behind in the cgroup for the program to clean up.
const SCRIPT = [
  `busybox sh -c 'i=0; while [ $i -lt ${TRIES} ]; do sleep 60 & i=$((i+1)); echo "started $i"; done'`,
  'echo "forks done: $?"',
  'read go < "$0"',
  `exit ${EXIT}`,
].join('\n');

const lastStarted = (out: string) => Number([...out.matchAll(/started (\d+)/g)].pop()?.[1] ?? 0);
const loopStatus = (out: string) => /forks done: (\d+)/.exec(out)?.[1];
const exited = (r: RunResult) => `exit status ${r.code ?? r.signal}${r.stderr.trim() ? `, stderr: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`;

export default defineCheck(
  async (t) => {
    const mount = cgroupMount();

    const bad = [await t.run([]), await t.run(['ten', 'true']), await t.run([String(MAX)])];
    t.assert({
      id: 'usage-error',
      title: 'Without a command, or with a <max> that is not a number, it exits with status 2',
      pass: bad.every((r) => r.code === 2),
      expected: '`cgroup-pids` → 2, `cgroup-pids ten true` → 2, `cgroup-pids 8` → 2',
      observed: bad.map((r) => `\`${r.command}\` → ${r.code ?? r.signal}`).join(', '),
      hint: 'Check the arguments before doing anything: print the usage line to stderr and os.Exit(2).',
    });

    const fifo = join(t.tmp, 'go');
    await t.sh('mkfifo', [fifo]);
    const had = new Set(listCgroups());
    const args = [String(MAX), 'timeout', '-s', 'KILL', '50', 'busybox', 'sh', '-c', SCRIPT, fifo];
    const running = t.start(args, { timeoutMs: 60_000 });
    const release = () => {
      // Non-blocking: with no reader left (the command died), this fails instead of hanging.
      try {
        const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
        writeSync(fd, 'go\n');
        closeSync(fd);
      } catch {
        /* nobody reads: the command is gone */
      }
    };
    t.defer(release);

    // The command is `timeout`, wherever the program put it; watch its cgroup's pids.current
    // from the moment it runs (before exec it was still the program's child, a Go process).
    let timeoutPid: number | undefined;
    let peakSeen = 0;
    const done = await t.waitFor(() => {
      timeoutPid ??= descendants(running.pid).find((p) => comm(p) === 'timeout');
      const where = timeoutPid ? cgroupOf(timeoutPid) : null;
      const current = where ? Number(readCgroupFile(where, 'pids.current') ?? 0) : 0;
      if (current > peakSeen) peakSeen = current;
      return loopStatus(running.stdout()) !== undefined;
    }, 30_000, running);
    t.must({
      id: 'command-runs',
      title: `\`cgroup-pids ${MAX} timeout … busybox sh -c <fork loop>\` runs the command`,
      pass: !!done && timeoutPid !== undefined,
      expected: 'the command starts and its fork loop ends ("forks done: …" on its stdout)',
      observed: done ? `output: ${running.stdout().trim().split('\n').slice(-2).join(' / ')}` : running.exited() ? `the program exited first: ${exited(await running.done)}` : `no "forks done" after 30 s; output: ${running.stdout().trim().split('\n').slice(-2).join(' / ') || '(nothing)'}`,
      hint: running.stderr().includes(EAGAIN)
        ? `The command could not even start its shells: something else already fills the limit. Is your program itself in the cgroup? Its own threads (a Go program has several) count against pids.max: keep it outside, and move only the command in.`
        : 'Start the command (os/exec), with stdin, stdout and stderr passed through, and wait for it.',
    });

    const started = lastStarted(running.stdout());
    const status = loopStatus(running.stdout());
    t.assert({
      id: 'limit-holds',
      title: `The fork loop cannot go past the limit of ${MAX} tasks`,
      pass: status !== '0' && started <= MAX - OVERHEAD,
      expected: `at most ${MAX - OVERHEAD} of ${TRIES} background sleeps started (${MAX} minus timeout and the two shells), then a fork fails and the loop stops`,
      observed: `${started} started; the loop's shell exited with ${status}${status === '0' ? ' (no fork ever failed)' : ''}`,
      hint: 'Write <max> to pids.max of the new cgroup before the command starts, and start the command inside it. (RLIMIT_NPROC, `ulimit -u`, does not bind root.)',
    });
    t.assert({
      id: 'fork-eagain',
      title: 'The fork that fails, fails with EAGAIN',
      pass: running.stderr().includes(EAGAIN),
      expected: `busybox sh: "can't fork: ${EAGAIN}" (strerror(EAGAIN)) on the command's stderr`,
      observed: running.stderr().trim() ? `stderr: ${running.stderr().trim().split('\n').slice(-2).join(' / ')}` : 'nothing on stderr',
      hint: 'pids.max makes fork and clone fail with EAGAIN in the cgroup. Is the command in the cgroup, and stderr passed through?',
    });

    const own = timeoutPid ? cgroupOf(timeoutPid) : null;
    const ownRel = own ? own.slice(mount.length + 1) : '';
    const self = cgroupOf(running.pid);
    const ownIsNew = !!own && own !== self && dirname(own) === mount && !had.has(ownRel);
    await t.snapshotCgroups('/', own ? [shortCgroup(own)] : []);
    t.must({
      id: 'command-in-cgroup',
      title: 'The command runs in a new cgroup, made by the program directly under the root',
      pass: ownIsNew,
      expected: `the command (timeout, pid ${timeoutPid}) in a new cgroup such as /cgroup-pids-${running.pid}; the program stays in ${shortCgroup(self)}`,
      observed: `the command is in ${shortCgroup(own)}${own === self ? ' (the program\'s own cgroup)' : ''}${own && had.has(ownRel) ? ' (it existed before)' : ''}${own && own !== self && dirname(own) !== mount ? ' (not directly under the root)' : ''}`,
      hint: `mkdir ${mount}/cgroup-pids-<pid>, then move the command in before it runs: re-exec yourself as a child that writes its own PID to the cgroup's cgroup.procs and then syscall.Execs the command.`,
    });
    t.equal('pids-max-set', `pids.max of ${shortCgroup(own)} is ${MAX}`, readCgroupFile(own!, 'pids.max'), String(MAX), `Write exactly <max> to pids.max: it counts every task in the cgroup, the command itself included.`);

    const current = Number(readCgroupFile(own!, 'pids.current') ?? NaN);
    const events = keyedFile(own!, 'pids.events');
    t.assert({
      id: 'pids-events-max',
      title: `The kernel counted the refused forks in pids.events, and pids.current stayed within ${MAX}`,
      pass: (events['max'] ?? 0) > 0 && current <= MAX && peakSeen <= MAX,
      expected: `pids.events "max" > 0; pids.current ≤ ${MAX} (now, and whenever the check looked)`,
      observed: `pids.events max ${events['max'] ?? '(none)'}; pids.current ${current} now, at most ${peakSeen} seen`,
      hint: 'pids.events "max" counts the times a fork hit pids.max. Zero means no fork was ever refused: the command was not limited.',
    });

    // Meanwhile, outside that cgroup, forking works as ever.
    const outside = await t.sh('/bin/sh', ['-c', `i=0; while [ $i -lt ${2 * MAX} ]; do sleep 1 & i=$((i+1)); done; wait; echo "$i started"`], { allowFail: true, timeoutMs: 20_000 });
    t.assert({
      id: 'host-unaffected',
      title: `Outside the cgroup, ${2 * MAX} forks still work while the command is limited`,
      pass: outside.code === 0 && outside.stdout.trim() === `${2 * MAX} started`,
      expected: `a shell of the check's forks ${2 * MAX} sleeps: "${2 * MAX} started", exit status 0`,
      observed: `${outside.stdout.trim() || '(no output)'}, exit status ${outside.code}${outside.stderr.trim() ? `, stderr: ${outside.stderr.trim()}` : ''}`,
      hint: 'The limit belongs on the new cgroup only, not on the root, on your own cgroup or on a parent of it.',
    });

    release();
    const r = await running.done;
    t.equal('exit-code', "The command's exit status is passed back", r.code, EXIT, "Exit with the command's exit status (exec.ExitError.ExitCode()), after removing the cgroup.");
    const procs = existsSync(own!) ? cgroupPids(own!) : [];
    t.assert({
      id: 'cgroup-removed',
      title: `After the command exits, its cgroup ${shortCgroup(own)} is gone`,
      pass: !existsSync(own!),
      expected: `no ${own}`,
      observed: existsSync(own!) ? `it is still there, with ${procs.length} process(es) in it${procs.length ? ` (${procs.map((p) => comm(p) || p).join(', ')}: what the command left running)` : ''}` : 'removed',
      hint: 'Remove the cgroup when the command is done, also when it failed. rmdir fails (EBUSY) while a process is inside: the command\'s background sleeps still are. Write 1 to cgroup.kill, wait for "populated 0" in cgroup.events, then rmdir.',
    });
  },
  { timeoutMs: 120_000 },
);
