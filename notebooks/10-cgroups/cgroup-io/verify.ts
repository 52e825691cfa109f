import { cgroupMount, cgroupOf, defineCheck, findInTree, listCgroups, loopDevice, partitionedLoopDevice, readCgroupFile, shortCgroup, type RunResult } from '../../../kernels/check/index.ts';

const BPS = 1024 * 1024; // the limit: 1 MiB/s; the unthrottled writes run at 15–30 MB/s even in an emulated VM
const BLOCK = 64 * 1024;
const COUNT = 64; // 4 MiB: about 4 s under the limit
const BYTES = BLOCK * COUNT;
// The measured rate may be this far from the limit: the kernel's throttling is close (±3 %
// measured), the slack is for the time around the writes (dd's start, the exit).
const LOW = 0.6;
const HIGH = 1.25;
// Without the limit, the same writes must run at least this much faster.
const FASTER = 3;

const mib = (bytesPerSecond: number) => `${(bytesPerSecond / 2 ** 20).toFixed(2)} MiB/s`;
const said = (r: { stderr: string; stdout: string }) => (r.stderr || r.stdout).trim() || '(nothing)';

/** The nested keys of one device's io.max line ("7:0 rbps=1048576 wbps=max …"), or null. */
function ioMaxLine(content: string | null, majMin: string): Record<string, string> | null {
  const line = (content ?? '').split('\n').find((l) => l.split(' ')[0] === majMin);
  if (!line) return null;
  return Object.fromEntries(line.split(' ').slice(1).map((kv) => kv.split('=') as [string, string]));
}

export default defineCheck(
  async (t) => {
    const mount = cgroupMount();
    const jails = `${mount}/luxlab/`;
    const disk = await loopDevice(t, 64);
    const dd = ['dd', 'if=/dev/zero', `of=${disk.dev}`, `bs=${BLOCK}`, `count=${COUNT}`, 'oflag=direct'];
    const ddText = `dd … of=${disk.dev} bs=64k count=${COUNT} oflag=direct`;

    // The baseline: the same writes without a limit, on this machine, now. dd's own clock
    // ("…copied, 0.16 s…"): starting a process from here costs a good part of a second in an
    // emulated VM, which would make the baseline look slow.
    const base = await t.sh(dd[0]!, dd.slice(1), { timeoutMs: 30_000 });
    const baseSeconds = Number(/copied, ([\d.]+) s/.exec(base.stderr)?.[1] ?? base.durationMs / 1000);
    const baseRate = BYTES / Math.max(baseSeconds, 0.001);

    const cgroupsBefore = new Set(listCgroups());
    const t0 = performance.now();
    const running = t.start([disk.dev, String(BPS), ...dd], { timeoutMs: 40_000 });
    const ddPid = await t.waitFor(() => findInTree(running.pid, 'dd'), 5000, running);
    // Where dd runs once it is out of the check's jail (a program may move it after starting it).
    const outOfJail = () => {
      const now = cgroupOf(ddPid!);
      return now !== null && !now.startsWith(jails) ? now : undefined;
    };
    const cg = ddPid === undefined ? null : ((await t.waitFor(outOfJail, 3000, running)) ?? cgroupOf(ddPid));
    const seenAt = performance.now() - t0;
    const stderrNow = running.stderr();
    t.must({
      id: 'command-started',
      title: `\`cgroup-io ${disk.dev} ${BPS} dd …\` runs the command`,
      pass: ddPid !== undefined,
      expected: 'a dd process started by cgroup-io',
      observed:
        ddPid !== undefined
          ? `dd is PID ${ddPid}`
          : running.exited() && !stderrNow.trim()
            ? 'no dd process seen: cgroup-io had exited already, without a word (were the writes held back at all?)'
            : `no dd process; the program said: ${said({ stderr: stderrNow, stdout: running.stdout() })}`,
      hint: /no such device/i.test(stderrNow)
        ? `The kernel knows no disk by the MAJ:MIN you wrote (${disk.dev} is ${disk.majMin}). A device node stands for the device in its st_rdev; st_dev is the device of the file system the node is on (devtmpfs).`
        : `Find MAJ:MIN of the device (${disk.dev} is ${disk.majMin}), write io.max in a new cgroup, then run the command inside it (re-execute yourself, join the cgroup, syscall.Exec).`,
    });

    t.must({
      id: 'command-in-cgroup',
      title: 'The command runs in a new cgroup of its own',
      pass: cg !== null && !cg.startsWith(jails) && !cgroupsBefore.has(shortCgroup(cg).slice(1)),
      expected: `a new cgroup directly under the root (${mount}/cgroup-io-<pid>), not the check's jail`,
      observed: `dd is in ${shortCgroup(cg)}${cg?.startsWith(jails) ? ' (the jail the check started your program in)' : ''}`,
      hint: 'Put the command itself in the cgroup: write its PID (or "0" from the child, before exec) into <cgroup>/cgroup.procs. Writing io.max alone limits nobody.',
    });
    await t.snapshotCgroups('/', [shortCgroup(cg)]);

    const ioMax = readCgroupFile(cg!, 'io.max');
    const keys = ioMaxLine(ioMax, disk.majMin);
    t.assert({
      id: 'io-max',
      title: `io.max of that cgroup limits reads and writes on ${disk.dev} (${disk.majMin}) to ${BPS} bytes/s`,
      pass: keys?.rbps === String(BPS) && keys?.wbps === String(BPS),
      expected: `${disk.majMin} rbps=${BPS} wbps=${BPS} riops=max wiops=max`,
      observed: ioMax === null ? `no io.max in ${shortCgroup(cg)}: the io controller is not enabled for its children in ${shortCgroup(cg).split('/').slice(0, -1).join('/') || '/'}` : ioMax || '(empty: no limit on any device)',
      hint:
        ioMax === null
          ? 'A cgroup has io.max only when its parent enabled the io controller: write "+io" to <mount>/cgroup.subtree_control before creating it.'
          : !keys
            ? `Key the line by the whole disk's MAJ:MIN, ${disk.majMin} (/sys/class/block/${disk.dev.slice(5)}/dev or st_rdev).`
            : 'Limit both directions in one line: "MAJ:MIN rbps=<bps> wbps=<bps>" (a key left out stays max; riops/wiops count operations, not bytes).',
    });

    const r = await running.done;
    const elapsed = (r.durationMs - seenAt) / 1000;
    const rate = BYTES / Math.max(elapsed, 0.001);
    t.assert({
      id: 'throttled',
      title: `Direct writes of ${BYTES / 2 ** 20} MiB under the limit run at about ${mib(BPS)}`,
      pass: r.code === 0 && rate >= LOW * BPS && rate <= HIGH * BPS,
      expected: `dd exits 0 after about ${(BYTES / BPS).toFixed(1)} s: ${mib(LOW * BPS)} to ${mib(HIGH * BPS)} (the limit −${Math.round((1 - LOW) * 100)} %/+${Math.round((HIGH - 1) * 100)} %)`,
      observed: `${ddText}: exit ${r.code ?? r.signal}, ${elapsed.toFixed(2)} s, ${mib(rate)}${r.code !== 0 ? `; it said: ${said(r)}` : ''}`,
      hint: rate > HIGH * BPS ? 'The writes were not held back: the limit must be in io.max of the cgroup the command runs in, for the disk it writes to.' : 'Slower than the limit: is bps in bytes per second, for both rbps and wbps?',
    });
    t.assert({
      id: 'unthrottled-faster',
      title: `Without the limit the same writes run at least ${FASTER}× faster (same run)`,
      pass: baseRate >= FASTER * rate,
      expected: `≥ ${mib(FASTER * rate)} without cgroup-io`,
      observed: `${mib(baseRate)} without cgroup-io (${baseSeconds.toFixed(2)} s by dd's clock), ${mib(rate)} with it`,
      hint: 'The same dd ran about as fast under your program as without it: the limit did not apply to it.',
    });

    const exit = await t.run([disk.dev, String(BPS), 'sh', '-c', 'exit 7']);
    t.equal('exit-code', "The command's exit code is passed back", exit.code, 7, "Exit with the command's exit code (exec.ExitError.ExitCode()), after removing the cgroup.");

    const left = listCgroups().filter((p) => !cgroupsBefore.has(p) && !/\.(slice|scope|service)$/.test(p));
    t.assert({
      id: 'cgroup-removed',
      title: 'The cgroup is removed when the command is done (also when it fails)',
      pass: left.length === 0,
      expected: `no ${shortCgroup(cg)} after dd, no new cgroup after \`sh -c 'exit 7'\``,
      observed: left.length ? `still there: ${left.map((p) => `/${p}`).join(', ')}` : 'removed',
      hint: 'When the command has exited, rmdir(2) the cgroup (os.Remove); it must be empty first, and on every path out, the failing command too.',
    });

    // Partitions are refused by the kernel (io.max takes whole disks): the program must say so.
    const pdisk = await partitionedLoopDevice(t, 16);
    const refused = async (device: string): Promise<{ r: RunResult; ran: boolean }> => {
      const marker = `${t.tmp}/${t.name('ran')}`;
      const r = await t.run([device, String(BPS), 'touch', marker]);
      const ran = (await t.sh('test', ['-e', marker], { allowFail: true })).code === 0;
      return { r, ran };
    };
    const part = await refused(pdisk.part);
    t.assert({
      id: 'partition-refused',
      title: `A partition (${pdisk.part}) is refused, saying it is a partition`,
      pass: part.r.code !== 0 && !part.ran && /partition/i.test(part.r.stderr),
      expected: `a non-zero exit, the command not run, a message that names the partition problem (the whole disk is ${pdisk.dev})`,
      observed: `exit ${part.r.code ?? part.r.signal}, the command ${part.ran ? 'ran' : 'did not run'}; stderr: ${part.r.stderr.trim() || '(nothing)'}`,
      hint: `The kernel answers "MAJ:MIN" of a partition (${pdisk.partMajMin}) with ENODEV ("no such device"), which says nothing useful. Check first: /sys/dev/block/MAJ:MIN/partition exists for a partition, and its parent directory is the disk.`,
    });

    const notBlock = await refused(disk.file);
    t.assert({
      id: 'not-block-refused',
      title: 'A file that is not a block device is refused, saying so',
      pass: notBlock.r.code !== 0 && !notBlock.ran && /block/i.test(notBlock.r.stderr),
      expected: `a non-zero exit (2: a usage error), the command not run, a message that ${disk.file} is not a block device`,
      observed: `exit ${notBlock.r.code ?? notBlock.r.signal}, the command ${notBlock.ran ? 'ran' : 'did not run'}; stderr: ${notBlock.r.stderr.trim() || '(nothing)'}`,
      hint: 'stat(2) the path: st_mode & S_IFMT must be S_IFBLK. A regular file has st_rdev 0, and the kernel has no device 0:0.',
    });
  },
  { timeoutMs: 90_000 },
);
