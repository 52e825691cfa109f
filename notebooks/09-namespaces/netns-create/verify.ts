import { existsSync, statSync } from 'node:fs';
import { defineCheck, deleteNetns, hostNs, ipJson, mountsAt, NETNS_DIR, restoreNetnsDir } from '../../../kernels/check/index.ts';

/** The namespace an nsfs mount pins, from its root field ("net:[4026532281]"). */
function nsfsRoot(root: string): { type: string; inode: number } | null {
  const m = /^(\w+):\[(\d+)\]$/.exec(root);
  return m ? { type: m[1]!, inode: Number(m[2]) } : null;
}

function inodeOf(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}

export default defineCheck(async (t) => {
  const name = t.name('lx');
  const path = `${NETNS_DIR}/${name}`;
  const host = hostNs('net');
  restoreNetnsDir(t);
  deleteNetns(t, name);

  const r = await t.run(['create', name]);
  t.must({
    id: 'create-succeeds',
    title: `\`netns create ${name}\` exits with status 0`,
    pass: r.code === 0,
    expected: 'exit status 0',
    observed: `exit status ${r.code ?? r.signal}${r.stderr.trim() ? `, stderr: ${r.stderr.trim()}` : ''}`,
    hint: 'Return an error (non-zero exit) only when something really failed.',
  });

  const nsfsAt = () => mountsAt(path).filter((m) => m.fsType === 'nsfs');
  t.must({
    id: 'bind-mounted',
    title: `${path} is a bind mount of a namespace (nsfs)`,
    pass: nsfsAt().length > 0,
    expected: `an nsfs mount on ${path} in /proc/self/mountinfo`,
    observed: existsSync(path)
      ? `${path} exists, but no namespace is mounted on it: the namespace died with your program`
      : `${path} does not exist`,
    hint: "After unshare(CLONE_NEWNET), bind-mount your thread's /proc/self/task/<tid>/ns/net onto the file (mount(2) with MS_BIND).",
  });

  // What path shows is the namespace whose inode stat(2) reports; its mount's root field
  // ("net:[N]") says which type of namespace that is.
  const visible = () => {
    const ino = inodeOf(path);
    const m = nsfsAt().find((e) => nsfsRoot(e.root)?.inode === ino);
    return { ino, root: m?.root ?? '?', pinned: m ? nsfsRoot(m.root) : null };
  };
  const first = visible();
  const isHost = first.pinned?.type === 'net' && first.ino === host;
  t.must({
    id: 'netns-new',
    title: "The mounted namespace is a new network namespace, not the host's",
    pass: first.pinned?.type === 'net' && first.ino !== host,
    expected: `net:[N] with N other than the host's ${host}`,
    observed: isHost ? `net:[${first.ino}]: that is the host's own network namespace` : first.root,
    hint: isHost
      ? "unshare(2) moved only one thread. Lock the goroutine with runtime.LockOSThread and mount /proc/self/task/<tid>/ns/net of that same thread, not /proc/self/ns/net (the main thread's)."
      : 'Bind-mount a network namespace file (…/ns/net), taken after unshare(CLONE_NEWNET).',
  });
  t.snapshot();

  const listed = (await t.sh('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
  t.assert({
    id: 'listed',
    title: '`ip netns list` shows it',
    pass: listed.includes(name),
    expected: name,
    observed: listed.length ? listed.join(', ') : '(no named namespaces)',
    hint: `ip netns list reads ${NETNS_DIR}: create the file there.`,
  });

  let links: string[] = [];
  let linkError = '';
  try {
    links = (await ipJson<{ ifname: string }[]>(['link'], name)).map((l) => l.ifname);
  } catch (err) {
    linkError = ((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
  }
  t.assert({
    id: 'has-loopback',
    title: `Inside it, \`ip -n ${name} link\` shows a loopback interface`,
    pass: links.includes('lo'),
    expected: 'lo (a fresh network namespace has only its own loopback)',
    observed: linkError ? `ip failed: ${linkError}` : links.join(', ') || '(no interfaces)',
    hint: 'A new network namespace always has lo; if ip cannot enter it, the file is not a network namespace.',
  });

  const again = await t.run(['create', name]);
  t.assert({
    id: 'duplicate-rejected',
    title: `A second \`netns create ${name}\` fails with a message`,
    pass: again.code !== 0 && again.stderr.trim() !== '',
    expected: 'a non-zero exit status and an error on stderr',
    observed: `exit status ${again.code ?? again.signal}, stderr: ${again.stderr.trim() || '(empty)'}`,
    hint: 'Create the file with O_CREATE|O_EXCL: it fails with EEXIST when the name is taken.',
  });

  // Mount propagation may list the same mount more than once at this path; what matters is
  // that the file still shows the first namespace and that no other one was mounted there.
  const now = visible();
  const others = [...new Set(nsfsAt().map((m) => m.root))].filter((root) => root !== first.root);
  t.assert({
    id: 'duplicate-kept',
    title: 'The existing namespace is left alone',
    pass: now.ino === first.ino && others.length === 0,
    expected: `${path} still shows ${first.root}, and no other namespace is mounted there`,
    observed:
      nsfsAt().length === 0
        ? 'nothing is mounted there any more: the namespace was destroyed'
        : others.length > 0
          ? `${others.join(', ')} was mounted on top of it: ${first.root} is hidden, but still alive`
          : `${path} now shows ${now.root}`,
    hint: 'Check that the name is free before unshare and mount — atomically, with O_EXCL — and stop if it is not.',
  });
});
