import { statSync } from 'node:fs';
import { defineCheck, deleteNetns, findInTree, hostNs, NETNS_DIR, nsInode, restoreNetnsDir } from '../../../kernels/check/index.ts';

export default defineCheck(async (t) => {
  // The namespace is made with iproute2, not with your `netns create`: this check is about exec only.
  const name = t.name('lx');
  restoreNetnsDir(t);
  deleteNetns(t, name);
  await t.sh('ip', ['netns', 'add', name]);
  const target = statSync(`${NETNS_DIR}/${name}`).ino;
  const host = hostNs('net');

  const running = t.start(['exec', name, 'sleep', '30']);
  const sleeper = await t.waitFor(() => findInTree(running.pid, 'sleep'), 3000, running);
  t.must({
    id: 'command-started',
    title: `\`netns exec ${name} sleep 30\` runs the command`,
    pass: sleeper !== undefined,
    expected: 'a sleep process started by netns',
    observed: sleeper ? `sleep is PID ${sleeper}` : `no sleep process; the program printed: ${(running.stderr() || running.stdout()).trim() || '(nothing)'}`,
    hint: 'Enter the namespace, then run the command: syscall.Exec, or os/exec from the same locked thread.',
  });
  t.snapshot([running.pid, sleeper!]);

  const inside = nsInode(sleeper!, 'net');
  t.must({
    id: 'runs-in-netns',
    title: `The command runs in the network namespace ${name}`,
    pass: inside === target,
    expected: `net:[${target}], the namespace mounted on ${NETNS_DIR}/${name}`,
    observed:
      inside === host
        ? `net:[${inside}]: the host's namespace`
        : `net:[${inside}]: neither ${name}'s nor the host's (a brand-new namespace?)`,
    hint:
      inside === host
        ? 'setns(2) changes only the calling thread: runtime.LockOSThread, setns, and start the command from that same goroutine (or syscall.Exec).'
        : `Join the existing namespace with setns(2) on an open ${NETNS_DIR}/<name>; unshare(2) and CLONE_NEWNET make a new, empty one.`,
  });
  await running.kill();

  const streams = await t.run(['exec', name, 'sh', '-c', 'echo to-stdout; echo to-stderr >&2']);
  const show = (s: string) => JSON.stringify(s);
  t.assert({
    id: 'streams-separate',
    title: "The command's stdout and stderr come out separately",
    pass: streams.stdout === 'to-stdout\n' && streams.stderr === 'to-stderr\n',
    expected: `stdout ${show('to-stdout\n')}, stderr ${show('to-stderr\n')}`,
    observed: `stdout ${show(streams.stdout)}, stderr ${show(streams.stderr)}`,
    hint: "Give the command your own stdout and stderr (cmd.Stdout = os.Stdout, cmd.Stderr = os.Stderr), or syscall.Exec it.",
  });

  const exit = await t.run(['exec', name, 'sh', '-c', 'exit 3']);
  t.equal('exit-code', "The command's exit status is passed back", exit.code, 3, "Exit with the command's status (exec.ExitError.ExitCode()), or syscall.Exec it so there is nothing to pass.");

  const missing = t.name('lx'); // never created
  const m = await t.run(['exec', missing, 'sh', '-c', 'echo command-ran']);
  const ran = m.stdout.includes('command-ran');
  t.assert({
    id: 'missing-netns-error',
    title: `\`netns exec ${missing} …\` fails when there is no such namespace`,
    pass: m.code !== 0 && m.stderr.trim() !== '' && !ran,
    expected: 'a non-zero exit status, an error on stderr, and the command not run',
    observed: `exit status ${m.code ?? m.signal}, stderr: ${m.stderr.trim() || '(empty)'}${ran ? '; the command ran anyway' : ''}`,
    hint: `Stop with an error when ${NETNS_DIR}/<name> cannot be opened or setns(2) fails.`,
  });
});
