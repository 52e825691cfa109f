import { defineCheck, hostNs, mountinfo, mustStartSleep, namespaceMembers, nsInode, nsPid, procListing, procStatus, rootLink, sameDir, showPids, watchHostMounts } from '../../../kernels/check/index.ts';

/** `ps -o pid,comm` output as [pid, comm] rows. */
function parsePs(out: string): [number, string][] {
  const rows: [number, string][] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)/.exec(line);
    if (m) rows.push([Number(m[1]), m[2]!]);
  }
  return rows;
}

export default defineCheck(async (t) => {
  const rootfs = await t.rootfs();
  const hostMountsAdded = watchHostMounts(t);

  const running = t.start([rootfs, 'sleep', '30']);
  const pid = await mustStartSleep(t, running, {
    title: '`pidns-container ROOTFS sleep 30` runs the command',
    expected: 'a sleep process started by pidns-container',
  });
  t.snapshot([running.pid, pid]);

  const inside = nsInode(pid, 'pid');
  const host = hostNs('pid');
  t.must({
    id: 'pid-ns-new',
    title: 'The command is in a new PID namespace',
    pass: inside !== null && inside !== host,
    expected: `a pid inode other than the host's (${host})`,
    observed: `pid:[${inside}]`,
    hint: 'Start the child with Cloneflags: syscall.CLONE_NEWPID. (unshare(CLONE_NEWPID) moves only the caller\'s future children, not the caller.)',
  });

  const nspid = nsPid(pid);
  const nspidLine = procStatus(pid)['NSpid']?.replace(/\s+/g, ' ') ?? '?';
  t.assert({
    id: 'pid-1',
    title: 'The command is PID 1 of its namespace',
    pass: nspid === 1,
    expected: 'NSpid in /proc/<pid>/status ends in 1',
    observed: `NSpid: ${nspidLine}`,
    hint: 'The first process of the namespace is PID 1: the re-executed child must syscall.Exec the command, not start it as a grandchild.',
  });

  const link = rootLink(pid);
  t.assert({
    id: 'rootfs-root',
    title: 'The rootfs is the root directory of the command',
    pass: sameDir(`/proc/${pid}/root`, rootfs),
    expected: `/proc/<pid>/root is ${rootfs}`,
    observed: `/proc/<pid>/root is ${link}`,
    hint: 'In the child, syscall.Chroot(rootfs) then syscall.Chdir("/") before exec.',
  });

  const procMount = mountinfo(pid).find((m) => m.mountPoint === '/proc');
  t.assert({
    id: 'proc-mounted',
    title: 'A proc filesystem is mounted on /proc in the container',
    pass: procMount?.fsType === 'proc',
    expected: 'a "proc" mount at /proc in /proc/<pid>/mountinfo',
    observed: procMount ? `${procMount.fsType} at /proc` : 'nothing mounted at /proc',
    hint: 'After chroot, syscall.Mount("proc", "/proc", "proc", 0, "").',
  });

  const kernel = namespaceMembers(inside!);
  const listed = procListing(pid);
  t.assert({
    id: 'proc-shows-container',
    title: "The container's /proc lists only the container's processes",
    pass: listed !== null && JSON.stringify(listed) === JSON.stringify(kernel),
    expected: `PIDs ${kernel.join(', ')} (the container's processes, numbered as inside)`,
    observed: `PIDs ${showPids(listed)}`,
    hint: 'A procfs shows the PID namespace of the process that mounts it: mount proc from the child, inside the new PID namespace — not before, and not a bind mount of the host\'s /proc.',
  });

  // What a user of the container sees: its own ps (busybox), run inside its PID and mount
  // namespaces and root. Cross-checked with the kernel's list: everything but ps itself.
  const ps = await t.sh('nsenter', ['-t', String(pid), '-p', '-m', '-r', '-w', 'ps', '-o', 'pid,comm'], { allowFail: true });
  const rows = parsePs(ps.stdout);
  const others = rows.filter(([, name]) => name !== 'ps').map(([p]) => p);
  const psLines = ps.stdout.trim().split('\n');
  t.assert({
    id: 'ps-inside',
    title: '`ps` inside the container shows only the container',
    pass: ps.code === 0 && JSON.stringify(others) === JSON.stringify(kernel),
    expected: `PID 1 sleep, and ps itself`,
    observed:
      ps.code !== 0
        ? `ps failed: ${ps.stderr.trim() || `exit ${ps.code}`}`
        : psLines.length > 6
          ? `${psLines.slice(0, 5).join('\n')}\n… (${rows.length} processes)`
          : psLines.join('\n'),
    hint: 'ps reads /proc: it shows the host until the container has a proc of its own PID namespace on /proc.',
  });

  const added = hostMountsAdded();
  t.assert({
    id: 'host-mounts-clean',
    title: "The container's /proc is not in the host's mount table",
    pass: added.length === 0,
    expected: 'no new proc mount on the host',
    observed: added.length ? added.map((m) => `${m.fsType} at ${m.mountPoint}`).join(', ') : 'none',
    hint: 'Mount proc in a mount namespace of the container\'s own: add syscall.CLONE_NEWNS, and make / private (MS_REC|MS_PRIVATE) before mounting.',
  });
  await running.kill();

  const word = t.name('out');
  const r = await t.run([rootfs, 'sh', '-c', `echo ${word}; exit 3`]);
  t.equal('output', "The command's output comes through", r.stdout.trim(), word, 'Pass os.Stdin, os.Stdout and os.Stderr on to the child.');
  t.equal('exit-code', "The command's exit code is passed back", r.code, 3, "Exit with the child's exit code (exec.ExitError.ExitCode()).");
});
