// Named network namespaces (the files in /run/netns that `ip netns` reads): cleanup for the
// checks that make them, which must leave /run/netns as it found it.
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { mountsAt, topAt } from '../proc.ts';
import type { CheckContext } from './context.ts';

export const NETNS_DIR = '/run/netns';

/**
 * The first `ip netns add` (or a learner's program) makes /run/netns a mount point, and it
 * stays one after the last namespace is deleted; a buggy program may stack more. Unmount
 * what was added during the check, top first, but never lazily: a layer that still holds a
 * namespace (someone else's) makes umount fail with EBUSY, and then it stays.
 */
export function restoreNetnsDir(t: CheckContext): void {
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

/** At cleanup, `ip netns delete name`, then whatever else is mounted on its file (a misbehaving program may stack more). */
export function deleteNetns(t: CheckContext, name: string): void {
  const path = `${NETNS_DIR}/${name}`;
  t.defer(async () => {
    await t.sh('ip', ['netns', 'delete', name], { allowFail: true });
    for (let i = 0; i < 10 && mountsAt(path).length > 0; i++) await t.sh('umount', ['-l', path], { allowFail: true });
    rmSync(path, { force: true });
  });
}
