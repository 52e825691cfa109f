import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defineCheck, findInTree, hostNs, nsInode, procStatus } from '../../../kernels/check/index.ts';

/** /proc/<pid>/uid_map or gid_map, extents as "inside outside count", "; "-separated. */
function idMap(pid: number, file: 'uid_map' | 'gid_map'): string {
  const text = readFileSync(`/proc/${pid}/${file}`, 'utf8');
  const lines = text
    .split('\n')
    .map((l) => l.trim().split(/\s+/).join(' '))
    .filter(Boolean);
  return lines.length ? lines.join('; ') : '(empty: no map written)';
}

/** A Uid:/Gid: line of /proc/<pid>/status: real, effective, saved, filesystem ids. */
const ids = (line: string | undefined) => (line ?? '?').split(/\s+/).join(' ');
const four = (id: number) => `${id} ${id} ${id} ${id}`;

export default defineCheck(async (t) => {
  // Ranges of this check's own, so a program that ignores the flags cannot pass by luck.
  const U = 100000 * randomInt(2, 40) + 1000 * randomInt(0, 90);
  const G = U + 1000 * randomInt(2, 9);
  const uidArg = `0:${U}:1000`;
  const gidArg = `0:${G}:100`;

  const running = t.start(['--uid-map', uidArg, '--gid-map', gidArg, 'sleep', '30']);
  const sleeper = await t.waitFor(() => findInTree(running.pid, 'sleep'), 3000, running);
  t.must({
    id: 'command-started',
    title: `\`userns --uid-map ${uidArg} --gid-map ${gidArg} sleep 30\` runs the command`,
    pass: sleeper !== undefined,
    expected: 'a sleep process started by userns',
    observed: sleeper ? `sleep is PID ${sleeper}` : `no sleep process; the program printed: ${(running.stderr() || running.stdout()).trim() || '(nothing)'}`,
    hint: 'Start the command with os/exec (or syscall.Exec) and wait for it. A setuid/setgid to an id that is not mapped fails with EINVAL.',
  });
  t.snapshot([running.pid, sleeper!]);

  const inside = nsInode(sleeper!, 'user');
  const host = hostNs('user');
  t.must({
    id: 'user-ns-new',
    title: 'The command is in a new user namespace',
    pass: inside !== null && inside !== host,
    expected: `a user inode other than the host's (${host})`,
    observed: `user:[${inside}]`,
    hint: 'Start the child with Cloneflags: syscall.CLONE_NEWUSER.',
  });

  const mapHint = (seen: string, flag: string, field: string) =>
    seen.startsWith('(empty')
      ? `Pass ${flag} on as SysProcAttr.${field}: nothing was written to the file.`
      : `One extent "<inside> <outside> <count>", in the order of the flag: SysProcIDMap{ContainerID: inside, HostID: outside, Size: count}.`;
  const uidMap = idMap(sleeper!, 'uid_map');
  const gidMap = idMap(sleeper!, 'gid_map');
  t.equal('uid-map', `/proc/${sleeper}/uid_map holds the map asked for`, uidMap, `0 ${U} 1000`, mapHint(uidMap, '--uid-map', 'UidMappings'));
  t.equal('gid-map', `/proc/${sleeper}/gid_map holds the map asked for`, gidMap, `0 ${G} 100`, mapHint(gidMap, '--gid-map', 'GidMappings'));

  // From the host: the kernel's real ids of the process.
  const status = procStatus(sleeper!);
  t.equal('uid-outside', `Seen from the host, the command runs as uid ${U}`, ids(status['Uid']), four(U), 'The map changes no one: the command must switch to the inside uid (0) after the map is written and before exec, e.g. with SysProcAttr.Credential. A child that re-executes itself first is too late: that exec took its CAP_SETUID.');
  t.equal('gid-outside', `Seen from the host, the command runs as gid ${G}`, ids(status['Gid']), four(G), 'Write the gid map, then switch to the inside gid (0) before exec: SysProcAttr.Credential does setgroups, setgid and setuid.');

  // From inside: the same status file, read by a process in the namespace, is translated.
  const inStatus = (await t.sh('nsenter', ['-t', String(sleeper), '--user', '--preserve-credentials', 'cat', `/proc/${sleeper}/status`])).stdout;
  const line = (key: string) => ids(inStatus.split('\n').find((l) => l.startsWith(`${key}:`))?.slice(key.length + 1).trim());
  const uidIn = line('Uid');
  const gidIn = line('Gid');
  t.assert({
    id: 'root-inside',
    title: 'Inside its namespace, the command is root (uid 0, gid 0)',
    pass: uidIn === four(0) && gidIn === four(0),
    expected: `Uid: ${four(0)}, Gid: ${four(0)}`,
    observed: `Uid: ${uidIn}, Gid: ${gidIn}${uidIn.startsWith('65534') || gidIn.startsWith('65534') ? ' (65534: an id the map does not cover)' : ''}`,
    hint: uidIn.startsWith('65534') || gidIn.startsWith('65534')
      ? 'A process keeps its kernel ids when the map is written: the host\'s root, which the map does not cover, is 65534 ("nobody") inside. Switch to the inside ids before exec (SysProcAttr.Credential).'
      : 'Inside ids come from the map: with the map in the order of the flag and a switch to uid 0 and gid 0, the command is root inside.',
  });
  await running.kill();

  const malformed: [string, string][] = [
    ['--uid-map', '0:100000'],
    ['--uid-map', '0:100000:1:9'],
    ['--uid-map', '0:100000:1x'],
    ['--uid-map', 'root:100000:1'],
    ['--gid-map', '0:-1:1'],
  ];
  const accepted: string[] = [];
  for (const [flag, value] of malformed) {
    const args = flag === '--uid-map' ? ['--uid-map', value, '--gid-map', gidArg] : ['--uid-map', uidArg, '--gid-map', value];
    const r = await t.run([...args, 'true']);
    if (r.code === 0) accepted.push(`${flag} ${value}`);
  }
  t.assert({
    id: 'malformed-map-rejected',
    title: 'Malformed maps are refused',
    pass: accepted.length === 0,
    expected: `a non-zero exit, the command not run, for each of: ${malformed.map(([f, v]) => `${f} ${v}`).join(', ')}`,
    observed: accepted.length ? `exit 0 (the command ran) for: ${accepted.join(', ')}` : 'all refused',
    hint: 'Split on ":", want exactly three fields, and parse each with strconv.ParseUint(s, 10, 32): fmt.Sscanf stops at the first character it does not want and reports no error.',
  });

  const r = await t.run(['--uid-map', uidArg, '--gid-map', gidArg, 'sh', '-c', 'exit 7']);
  t.equal('exit-code', "The command's exit code is passed back", r.code, 7, "Exit with the child's exit code (exec.ExitError.ExitCode()).");
});
