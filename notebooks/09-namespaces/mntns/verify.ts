import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineCheck, findInTree, hostNs, mountinfo, nsInode, type MountEntry } from '../../../kernels/check/index.ts';

const describe = (m: MountEntry) => `${m.fsType} "${m.source}" on ${m.mountPoint} (${m.propagation.join(' ') || 'private'})`;

export default defineCheck(async (t) => {
  // A fair test: a shared mount of the check's own, like the shared / that systemd makes.
  // Without one, a host whose / is private would hide a missing private remount.
  const shared = join(t.tmp, 'shared');
  const sharedName = t.name('lxshared');
  mkdirSync(shared);
  await t.sh('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=755', sharedName, shared]);
  // Lazy and whole-subtree: also takes away a mount that propagated onto the host.
  t.defer(() => t.sh('umount', ['-l', shared], { allowFail: true }));
  await t.sh('mount', ['--make-shared', shared]);
  const sub = join(shared, 'sub');
  mkdirSync(sub);
  const group = mountinfo('self')
    .find((m) => m.mountPoint === shared)
    ?.propagation.find((p) => p.startsWith('shared:'));
  if (!group) throw new Error(`could not make ${shared} a shared mount`);

  const inner = t.name('lxinner');
  const script = `mount -t tmpfs -o size=1m ${inner} ${sub} && exec sleep 30`;
  const running = t.start(['sh', '-c', script]);
  const sleeper = await t.waitFor(() => findInTree(running.pid, 'sleep'), 3000, running);
  t.must({
    id: 'command-started',
    title: `\`mntns sh -c 'mount -t tmpfs … && exec sleep 30'\` runs the command`,
    pass: sleeper !== undefined,
    expected: 'the mount succeeds and a sleep process is started by mntns',
    observed: sleeper ? `sleep is PID ${sleeper}` : `no sleep process; the program printed: ${(running.stderr() || running.stdout()).trim() || '(nothing)'}`,
    hint: 'Start the command with os/exec (or syscall.Exec) and wait for it; it runs as root and must be able to mount.',
  });
  t.snapshot([running.pid, sleeper!]);

  const inside = nsInode(sleeper!, 'mnt');
  const host = hostNs('mnt');
  t.must({
    id: 'mnt-ns-new',
    title: 'The command is in a new mount namespace',
    pass: inside !== null && inside !== host,
    expected: `a mnt inode other than the host's (${host})`,
    observed: `mnt:[${inside}]`,
    hint: 'Start the child with Cloneflags: syscall.CLONE_NEWNS.',
  });

  const insideTable = mountinfo(sleeper!);
  const innerInside = insideTable.find((m) => m.mountPoint === sub && m.source === inner);
  t.must({
    id: 'mount-inside',
    title: "The command's mount is in its own mount table",
    pass: innerInside !== undefined,
    expected: `tmpfs "${inner}" on ${sub} in /proc/${sleeper}/mountinfo`,
    observed: innerInside ? describe(innerInside) : `no mount on ${sub}`,
    hint: 'The command runs inside the new namespace: do not unmount or pivot before exec.',
  });

  // Peer group ids are global: the same "shared:N" inside means the same group as the host's.
  const sharedInside = insideTable.find((m) => m.mountPoint === shared);
  t.assert({
    id: 'inside-not-peer',
    title: "Inside, the copy of the check's shared mount is no longer a peer of the host's",
    pass: sharedInside !== undefined && !sharedInside.propagation.includes(group),
    expected: `${shared} without "${group}" (private, or master:N for a slave)`,
    observed: sharedInside ? describe(sharedInside) : `${shared} is not in /proc/${sleeper}/mountinfo`,
    hint: 'Right after entering the namespace, remount / with MS_REC|MS_PRIVATE. MS_REC matters: without it only / itself changes, not the mounts below it.',
  });

  const leaked = mountinfo('self').filter((m) => m.mountPoint === sub || m.source === inner);
  t.assert({
    id: 'mount-not-on-host',
    title: "The host does not see the command's mount, even under a shared mount point",
    pass: leaked.length === 0,
    expected: `nothing on ${sub} in the host's /proc/self/mountinfo`,
    observed: leaked.length ? `${describe(leaked[0]!)}: it propagated to the host through peer group ${group}` : 'nothing there',
    hint: 'The new namespace copied the shared mount into the same peer group. Make / recursively private (MS_REC|MS_PRIVATE) in the child before running the command.',
  });
  await running.kill();

  const r = await t.run(['sh', '-c', 'exit 7']);
  t.equal('exit-code', "The command's exit code is passed back", r.code, 7, "Exit with the child's exit code (exec.ExitError.ExitCode()).");
});
