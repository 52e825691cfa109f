import {
  cgroupMount,
  cgroupOf,
  cgroupPids,
  cmdline,
  comm,
  defineCheck,
  descendants,
  kernelLogFrom,
  keyedFile,
  listCgroups,
  newCgroupIn,
  oomKilled,
  procCpu,
  readCgroupFile,
  shortCgroup,
  type CheckContext,
  type RunResult,
} from '../../../kernels/check/index.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const MiB = 1 << 20;
const DEFAULT_LIMIT = 64; // MiB: the default the lesson documents
const FLAG_LIMIT = 48;
// Several processes: the shell, a sleep in the background, and a sleep forked twice (its
// parent gone: the group is the cgroup, not a process tree). Once the check says go, tail asks
// for 200 MiB (GNU tail keeps a line without newline whole), far over the limit, never over
// what the machine has.
const SCRIPT = 'sleep 60 & (sleep 60 &); read go < "$0"; head -c 200M /dev/zero | tail > /dev/null; wait';
// The report, as the lesson fixes it: "cgroup-oom: OOM kill in /cgroup-oom-1234: oom_kill 5, oom_group_kill 1".
const REPORT = /^cgroup-oom: OOM kill in (\S+): oom_kill (\d+)/gm;

const dead = (pid: number) => ['Z', 'X', undefined].includes(procCpu(pid)?.state);
const exited = (r: RunResult) => `exit status ${r.code ?? r.signal}${r.stderr.trim() ? `, stderr: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`;

/** Let a shell waiting in `read go < fifo` go on (blocks until it reads; gives up after 5 s). */
async function release(t: CheckContext, fifo: string): Promise<void> {
  await t.sh('sh', ['-c', 'echo go > "$0"', fifo], { timeoutMs: 5000, allowFail: true });
}

interface Member {
  pid: number;
  name: string;
}
const show = (m: Member) => `${m.name} ${m.pid}`;

export default defineCheck(
  async (t) => {
    const mount = cgroupMount();
    const run = (args: string[]) => t.run(args, { timeoutMs: 15_000 });

    const bad = [await run([]), await run(['--limit-mb', '0', 'true']), await run(['--limit-mb', 'lots', 'true']), await run(['--limit-mb', '32'])];
    t.assert({
      id: 'usage-error',
      title: 'No command, or a --limit-mb that is not a whole number of MiB ≥ 1: exit status 2',
      pass: bad.every((r) => r.code === 2),
      expected: '`cgroup-oom`, `cgroup-oom --limit-mb 0 true`, `cgroup-oom --limit-mb lots true`, `cgroup-oom --limit-mb 32`: each → 2',
      observed: bad.map((r) => `\`${r.command}\` → ${r.code ?? r.signal}`).join(', '),
      hint: 'Parse the flag (the flag package stops at the first argument that is not a flag), check it and that a command follows, before touching any cgroup: print the usage line to stderr and os.Exit(2).',
    });

    const fifo = join(t.tmp, 'go');
    await t.sh('mkfifo', [fifo]);
    const before = new Set(listCgroups());
    const running = t.start(['sh', '-c', SCRIPT, fifo], { timeoutMs: 60_000 });
    const where = await newCgroupIn(t, running, before);
    const rel = where ? shortCgroup(where) : '(none)';
    t.must({
      id: 'own-cgroup',
      title: "`cgroup-oom sh -c '…'` runs the command in a new cgroup",
      pass: !!where,
      expected: 'a cgroup the program made (e.g. /cgroup-oom-<its pid>), outside its own (a jail under /luxlab)',
      observed: where ? `the command is in ${rel}` : `no process of the program in a new cgroup; ${running.exited() ? exited(await running.done) : `they are in ${[...new Set([running.pid, ...descendants(running.pid)].map((p) => shortCgroup(cgroupOf(p))))].join(', ')}`}`,
      hint: 'mkdir a cgroup directly under the cgroup2 mount, set it up, and have the command join it before it runs: re-exec /proc/self/exe as a child that writes "0" to the new cgroup.procs, then syscall.Exec the command.',
    });

    // The group, once the shell and both sleeps are in: everything the OOM killer must take.
    const members = (): Member[] => cgroupPids(where!).map((pid) => ({ pid, name: comm(pid) }));
    await t.waitFor(() => {
      const m = members();
      return m.filter((x) => x.name === 'sleep').length >= 2 && m.some((x) => cmdline(x.pid)[2] === SCRIPT);
    }, 5000, running);
    const group = members();
    const max = readCgroupFile(where!, 'memory.max');
    const oomGroup = readCgroupFile(where!, 'memory.oom.group');
    await t.snapshotCgroups('/', [rel]);

    t.assert({
      id: 'default-limit',
      title: `Without --limit-mb, memory.max is the default, ${DEFAULT_LIMIT} MiB`,
      pass: max === String(DEFAULT_LIMIT * MiB),
      expected: `${rel}/memory.max: ${DEFAULT_LIMIT * MiB}`,
      observed: `${rel}/memory.max: ${max ?? '(no such file: is the memory controller in the root\'s cgroup.subtree_control?)'}`,
      hint: `The group kill needs an OOM in the cgroup, so a limit: --limit-mb's default is ${DEFAULT_LIMIT} (MiB), written as bytes (× 1048576) to memory.max.`,
    });
    t.assert({
      id: 'oom-group',
      title: 'memory.oom.group is 1 while the command runs',
      pass: oomGroup === '1',
      expected: `${rel}/memory.oom.group: 1`,
      observed: `${rel}/memory.oom.group: ${oomGroup ?? '(none)'}`,
      hint: 'Write 1 to memory.oom.group of the cgroup before the command starts: then the OOM killer kills the whole cgroup, not only its biggest process.',
    });

    // Go: tail blows the limit. Wait until every member is dead — or, once the OOM killer has
    // been at work (memory.events oom_kill, while the cgroup is still there), 3 s more.
    const log = kernelLogFrom();
    await release(t, fifo);
    let oomAt = 0;
    const allDead = await t.waitFor(() => {
      if (group.every((m) => dead(m.pid))) return true;
      if (!oomAt && (keyedFile(where!, 'memory.events')['oom_kill'] ?? 0) > 0) oomAt = Date.now();
      return oomAt && Date.now() - oomAt > 3000 ? 'gave up' : undefined;
    }, 30_000);
    // With the group gone, the program reports and exits; a group still alive holds it up.
    const r = allDead === true ? await Promise.race([running.done, sleep(10_000).then(() => running.kill())]) : await running.kill();
    const lines = log();
    const kills = lines
      .map(oomKilled)
      .filter((k) => k?.memcg);
    const killed = new Map(kills.map((k) => [k!.pid, k!.comm]));
    const groupLine = lines.some((l) => l.startsWith(`Tasks in ${rel} are going to be killed due to memory.oom.group set`));

    const fate = (m: Member) => `${show(m)}: ${killed.has(m.pid) ? 'OOM-killed' : dead(m.pid) ? 'gone, but not by the OOM killer' : 'still alive'}`;
    t.assert({
      id: 'all-killed',
      title: 'One process over the limit, and the OOM killer kills every process of the cgroup',
      pass: group.length >= 3 && group.every((m) => killed.has(m.pid) && dead(m.pid)),
      expected: `each of ${group.map(show).join(', ')} killed by the memory cgroup's OOM killer (kernel log: "Memory cgroup out of memory: Killed process <pid>"), after "Tasks in ${rel} are going to be killed due to memory.oom.group set"`,
      observed: `${group.map(fate).join('; ')}; kernel log: ${kills.length ? `Killed process ${[...killed].map(([p, c]) => `${c} ${p}`).join(', ')}` : 'no memory cgroup OOM kill'}${groupLine ? ', group kill' : ', no group kill'}`,
      hint: groupLine
        ? 'Something of the group was spared: was it in the cgroup (it was when the check looked)? A process with oom_score_adj -1000 is never killed.'
        : 'Without memory.oom.group the OOM killer takes the biggest process only (tail), and the rest live on. Write 1 to memory.oom.group.',
    });

    const reports = [...r.stderr.matchAll(REPORT)];
    const last = reports[reports.length - 1];
    const reported = last ? Number(last[2]) : 0;
    t.assert({
      id: 'oom-reported',
      title: 'The program reports the OOM kill (the last report line has the final count)',
      pass: !!last && last[1] === rel && reported >= Math.max(killed.size, 1),
      expected: `on stderr, "cgroup-oom: OOM kill in ${rel}: oom_kill <n>…" with n ≥ ${Math.max(killed.size, 1)} (the processes the kernel log says were killed)`,
      observed: last ? `"${last[0]}"${reports.length > 1 ? ` (the last of ${reports.length})` : ''}` : `no report line; ${exited(r)}`,
      hint:
        r.signal === 'SIGKILL'
          ? 'The program itself was killed: it was in the cgroup it supervises, and the group kill took it too. Stay outside: let a re-executed child join the cgroup and exec the command.'
          : "Watch memory.events (inotify IN_MODIFY, or poll it) and report when oom_kill grows; read it once more after the command has exited. An OOM-killed command died of SIGKILL: exec.ExitError's ExitCode() is -1 then, not 137.",
    });
    t.assert({
      id: 'exit-status',
      title: 'After the OOM kill the program exits with a non-zero status',
      pass: r.code !== null && r.code !== 0,
      expected: 'non-zero: 137, the command\'s status (128 + SIGKILL)',
      observed: exited(r),
      hint: "The command was killed: pass its status on as a shell does, 128 + the signal (syscall.WaitStatus's Signaled() and Signal()), and never 0 after an OOM kill.",
    });
    t.assert({
      id: 'cgroup-removed',
      title: 'After the command ends, its cgroup is removed',
      pass: !existsSync(where!),
      expected: `${rel} gone when cgroup-oom exits`,
      observed: existsSync(where!) ? `${rel} still exists (cgroup.procs: ${readCgroupFile(where!, 'cgroup.procs')?.split('\n').join(' ') || 'empty'})` : `${rel} is gone`,
      hint: 'rmdir(2) the cgroup once the command has exited (syscall.Rmdir), however it ended; it fails with EBUSY while any process, your own program included, is still in it.',
    });

    // --limit-mb, and a command that fits: no report, its own status.
    const r2 = await run(['--limit-mb', String(FLAG_LIMIT), 'sh', '-c', 'f="$0$(sed -n "s/^0:://p" /proc/self/cgroup)"; cat "$f/memory.max" "$f/memory.oom.group"', mount]);
    const want = `${FLAG_LIMIT * MiB}\n1`;
    t.assert({
      id: 'limit-flag',
      title: `\`cgroup-oom --limit-mb ${FLAG_LIMIT} …\`: memory.max ${FLAG_LIMIT * MiB} and oom.group 1 inside; no OOM, no report, status 0`,
      pass: r2.code === 0 && r2.stdout.trim() === want && !/^cgroup-oom: OOM kill/m.test(r2.stderr),
      expected: `the command prints its cgroup's memory.max and memory.oom.group: ${want.replace('\n', ', ')}; exit status 0; no report line`,
      observed: `printed "${r2.stdout.trim().replace(/\n/g, ', ')}"; ${exited(r2)}`,
      hint: `--limit-mb N sets memory.max to N × 1048576 bytes. Report only when memory.events' oom_kill has grown.`,
    });
  },
  { timeoutMs: 120_000 },
);
