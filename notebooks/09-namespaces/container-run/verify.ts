import { defineCheck, hostNs, mountinfo, mustStartSleep, namespaceMembers, nsInode, nsPid, procListing, procStatus, rootLink, sameDir, showPids, watchHostMounts, type MountEntry } from '../../../kernels/check/index.ts';

const NAMESPACES = [
  { type: 'pid', flag: 'CLONE_NEWPID', what: 'PID' },
  { type: 'mnt', flag: 'CLONE_NEWNS', what: 'mount' },
  { type: 'net', flag: 'CLONE_NEWNET', what: 'network' },
  { type: 'uts', flag: 'CLONE_NEWUTS', what: 'UTS' },
  { type: 'ipc', flag: 'CLONE_NEWIPC', what: 'IPC' },
] as const;

export default defineCheck(async (t) => {
  const rootfs = await t.rootfs();
  const hostMountsAdded = watchHostMounts(t);

  const running = t.start(['run', rootfs, 'sleep', '30']);
  const pid = await mustStartSleep(t, running, {
    title: '`container run ROOTFS sleep 30` runs the command',
    expected: 'a sleep process started by container',
  });
  t.snapshot([running.pid, pid]);

  for (const ns of NAMESPACES) {
    const inside = nsInode(pid, ns.type);
    const host = hostNs(ns.type);
    t.assert({
      id: `${ns.type}-ns-new`,
      title: `The command is in a new ${ns.what} namespace`,
      pass: inside !== null && inside !== host,
      expected: `not the host's ${ns.type}:[${host}]`,
      observed: `${ns.type}:[${inside}]${inside === host ? " (the host's)" : ''}`,
      hint:
        ns.type === 'pid'
          ? 'Put syscall.CLONE_NEWPID in Cloneflags. In Unshareflags it only moves the children of the process that unshares, not the command itself.'
          : `Add syscall.${ns.flag} to the child's Cloneflags.`,
    });
  }

  const nspid = nsPid(pid);
  t.assert({
    id: 'pid-1',
    title: 'The command is PID 1 of its namespace',
    pass: nspid === 1,
    expected: 'NSpid in /proc/<pid>/status ends in 1',
    observed: `NSpid: ${procStatus(pid)['NSpid']?.replace(/\s+/g, ' ') ?? '?'}`,
    hint: 'The child that clone(2) put in the new PID namespace is PID 1: it must syscall.Exec the command, not start it.',
  });

  const link = rootLink(pid);
  t.assert({
    id: 'rootfs-root',
    title: 'The rootfs is the root directory of the command',
    pass: sameDir(`/proc/${pid}/root`, rootfs),
    expected: `/proc/<pid>/root is ${rootfs}`,
    observed: `/proc/<pid>/root is ${link}${link === '/' ? " (the host's root)" : ''}`,
    hint: 'In the child: bind-mount the rootfs on itself, chdir into it, pivot_root(".", "."), unmount "." with MNT_DETACH, chdir("/") (or at least chroot).',
  });

  let procMount: MountEntry | undefined;
  try {
    procMount = mountinfo(pid).find((m) => m.mountPoint === '/proc');
  } catch {
    /* exited */
  }
  t.assert({
    id: 'proc-mounted',
    title: 'A proc filesystem is mounted on /proc in the container',
    pass: procMount?.fsType === 'proc',
    expected: 'a "proc" mount at /proc in /proc/<pid>/mountinfo',
    observed: procMount ? `${procMount.fsType} at /proc` : 'nothing mounted at /proc',
    hint: 'Once in the new root, syscall.Mount("proc", "/proc", "proc", 0, "").',
  });

  const pidNs = nsInode(pid, 'pid');
  const kernel = pidNs === null ? [] : namespaceMembers(pidNs);
  const listed = procListing(pid);
  t.assert({
    id: 'proc-shows-container',
    title: "The container's /proc lists only the container's processes",
    pass: listed !== null && JSON.stringify(listed) === JSON.stringify(kernel),
    expected: `PIDs ${kernel.join(', ')} (the processes of the command's PID namespace, numbered as inside)`,
    observed: `PIDs ${showPids(listed)}`,
    hint: 'A procfs shows the PID namespace of the process that mounts it: mount proc from the child, inside the new PID namespace.',
  });

  const ip = await t.sh('nsenter', ['-t', String(pid), '-n', 'ip', '-json', 'link', 'show'], { allowFail: true });
  let links: string[] = [];
  try {
    links = (JSON.parse(ip.stdout || '[]') as { ifname: string }[]).map((l) => l.ifname);
  } catch {
    /* not JSON: reported below */
  }
  t.assert({
    id: 'net-only-lo',
    title: 'The container\'s network namespace has only a loopback',
    pass: ip.code === 0 && JSON.stringify(links) === JSON.stringify(['lo']),
    expected: 'lo',
    observed: ip.code !== 0 ? `ip link failed: ${ip.stderr.trim()}` : links.length > 8 ? `${links.slice(0, 8).join(', ')}, … (${links.length} links: the host's)` : links.join(', '),
    hint: 'A new network namespace (CLONE_NEWNET) starts with nothing but lo; the host\'s interfaces mean the command is still in the host\'s.',
  });

  const added = hostMountsAdded();
  t.assert({
    id: 'host-mounts-clean',
    title: "The container's mounts are not in the host's mount table",
    pass: added.length === 0,
    expected: 'no new proc mount, and nothing mounted under the scratch folder, on the host',
    observed: added.length ? added.map((m) => `${m.fsType} at ${m.mountPoint}`).join(', ') : 'none',
    hint: 'Mount in the container\'s own mount namespace (CLONE_NEWNS), after making / private (MS_REC|MS_PRIVATE).',
  });
  await running.kill();

  const word = t.name('out');
  const r = await t.run(['run', rootfs, 'sh', '-c', `echo ${word}; exit 5`]);
  t.equal('output', "The command's output comes through", r.stdout.trim(), word, 'Pass os.Stdin, os.Stdout and os.Stderr on to the child.');
  t.equal('exit-code', "The command's exit code is passed back", r.code, 5, "Exit with the child's exit code (exec.ExitError.ExitCode()).");
});
