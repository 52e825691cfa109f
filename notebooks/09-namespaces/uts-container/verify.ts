import { defineCheck, findInTree, hostNs, nsInode } from '../../../kernels/check/index.ts';

export default defineCheck(async (t) => {
  const name = t.name('box');

  const running = t.start([name, 'sleep', '30']);
  const sleeper = await t.waitFor(() => findInTree(running.pid, 'sleep'), 3000, running);
  t.must({
    id: 'command-started',
    title: `\`uts-container ${name} sleep 30\` runs the command`,
    pass: sleeper !== undefined,
    expected: 'a sleep process started by uts-container',
    observed: sleeper ? `sleep is PID ${sleeper}` : `no sleep process; the program printed: ${(running.stderr() || running.stdout()).trim() || '(nothing)'}`,
    hint: 'Start the command with os/exec (or syscall.Exec) and wait for it.',
  });
  t.snapshot([running.pid, sleeper!]);

  const inside = nsInode(sleeper!, 'uts');
  const host = hostNs('uts');
  t.must({
    id: 'uts-ns-new',
    title: 'The command is in a new UTS namespace',
    pass: inside !== null && inside !== host,
    expected: `a uts inode other than the host's (${host})`,
    observed: `uts:[${inside}]`,
    hint: 'Start the child with Cloneflags: syscall.CLONE_NEWUTS (or unshare it before exec).',
  });

  const seen = (await t.sh('nsenter', ['-t', String(sleeper), '-u', 'hostname'])).stdout.trim();
  t.equal('hostname-inside', 'The hostname inside is the one asked for', seen, name, 'Call syscall.Sethostname inside the new namespace, before exec.');
  await running.kill();

  const r = await t.run([name, 'sh', '-c', 'exit 7']);
  t.equal('exit-code', "The command's exit code is passed back", r.code, 7, 'Exit with the child\'s exit code (exec.ExitError.ExitCode()).');
});
