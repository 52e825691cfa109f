import { existsSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { defineCheck, hostNs, ipJson, mountinfo, type CheckContext, type MountEntry } from '../../../kernels/check/index.ts';

const NETNS_DIR = '/run/netns';

/** Every mount whose mount point is path (stacked, or copies propagated to stacked parents). */
const mountsAt = (path: string) => mountinfo('self').filter((m) => m.mountPoint === path);

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

/** The mount on top of a stack at path: the one no other mount at path is mounted on. */
function topAt(path: string): MountEntry | undefined {
  const at = mountsAt(path);
  return at.filter((m) => !at.some((o) => o.parent === m.id)).pop();
}

/**
 * The first `ip netns add` (or a learner's program) makes /run/netns a mount point, and it
 * stays one after the last namespace is deleted; a buggy program may stack more. Unmount
 * what was added during the check, top first, but never lazily: a layer that still holds a
 * namespace (someone else's) makes umount fail with EBUSY, and then it stays.
 */
function restoreNetnsDir(t: CheckContext): void {
  const existed = existsSync(NETNS_DIR);
  const before = new Set(mountsAt(NETNS_DIR).map((m) => m.id));
  t.defer(async () => {
    for (let i = 0; i < 10; i++) {
      const top = topAt(NETNS_DIR);
      if (!top || before.has(top.id)) break;
      await t.sh('umount', [NETNS_DIR], { allowFail: true });
      if (topAt(NETNS_DIR)?.id === top.id) {
        t.log(`${NETNS_DIR} has mounts stacked on it during the check that are still in use: left as they are`);
        break;
      }
    }
    if (!existed) {
      try {
        rmdirSync(NETNS_DIR);
      } catch {
        /* not empty, or still a mount point: leave it */
      }
    }
  });
}

/** `ip netns delete`, then whatever a misbehaving program stacked on the same file. */
function deleteNetns(t: CheckContext, name: string): void {
  const path = `${NETNS_DIR}/${name}`;
  t.defer(async () => {
    await t.sh('ip', ['netns', 'delete', name], { allowFail: true });
    for (let i = 0; i < 10 && mountsAt(path).length > 0; i++) await t.sh('umount', ['-l', path], { allowFail: true });
    rmSync(path, { force: true });
  });
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
