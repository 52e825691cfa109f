// What the container checks (pidns-container, container-run) read of a running container:
// the PIDs its /proc lists, its root directory, and the mounts it leaves on the host.
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import type { Started } from '../exec.ts';
import { findInTree, mountinfo, type MountEntry } from '../proc.ts';
import type { CheckContext } from './context.ts';

/**
 * Wait for the `sleep` a container program was told to run and require it (assertion
 * command-started); returns its PID on the host. When it never starts, the hint tells apart a
 * Go runtime that crashed for want of threads after unshare(CLONE_NEWPID) and a program that
 * never ran the command.
 */
export async function mustStartSleep(t: CheckContext, running: Started, text: { title: string; expected: string }): Promise<number> {
  const sleeper = await t.waitFor(() => findInTree(running.pid, 'sleep'), 3000, running);
  const said = firstLines(running.stderr() || running.stdout());
  t.must({
    id: 'command-started',
    ...text,
    pass: typeof sleeper === 'number',
    observed: sleeper ? `sleep is PID ${sleeper} on the host` : `no sleep process; the program printed: ${said || '(nothing)'}`,
    hint: /failed to create new OS thread/.test(running.stderr())
      ? 'After unshare(CLONE_NEWPID) a process can no longer create threads, and the Go runtime needs them: ask for CLONE_NEWPID in Cloneflags (clone), not Unshareflags.'
      : 'Re-exec /proc/self/exe as a child with Cloneflags, and have it syscall.Exec the command.',
  });
  return sleeper!;
}

/** The PIDs a /proc lists: the numeric entries of the procfs mounted at /proc in pid's view. */
export function procListing(pid: number): number[] | null {
  try {
    return readdirSync(`/proc/${pid}/root/proc`)
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return null;
  }
}

/** A list of PIDs for an observed field: a long one is cut, since it is the host's showing through. */
export function showPids(pids: number[] | null, max = 8): string {
  if (pids === null) return '(unreadable)';
  if (pids.length === 0) return 'nothing: no proc is mounted there';
  const head = pids.slice(0, max).join(', ');
  return pids.length > max ? `${head}, … (${pids.length} processes: the host's)` : head;
}

/** Whether two paths are the same directory (device and inode), whatever each path is called. */
export function sameDir(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** What /proc/<pid>/root points to, for a message ("?" once the process has exited). */
export function rootLink(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/root`);
  } catch {
    return '?';
  }
}

/** The start of what a program printed (a Go crash prints a page of stack). */
export function firstLines(text: string, n = 3): string {
  const lines = text.trim().split('\n');
  return lines.length > n ? `${lines.slice(0, n).join('\n')}\n…` : lines.join('\n');
}

/**
 * Watch the host's (the lab's) mount table from now on, and return a function that lists what
 * was added since: new proc mounts anywhere, and anything under the check's scratch folder. New
 * ones only, by mount id, so a second proc stacked on the host's /proc is seen too. Whatever is
 * still there at cleanup is unmounted, newest first, before the runner's own sweep (which would
 * miss a proc stacked on the host's /proc, and a proc over it breaks every tool on the host).
 */
export function watchHostMounts(t: CheckContext): () => MountEntry[] {
  const before = new Set(mountinfo('self').map((m) => m.id));
  const added = () => mountinfo('self').filter((m) => !before.has(m.id) && (m.fsType === 'proc' || m.mountPoint.startsWith(t.tmp)));
  t.defer(() => {
    for (const m of added().sort((a, b) => b.id - a.id)) {
      try {
        execFileSync('umount', ['-l', m.mountPoint], { stdio: 'ignore' });
      } catch {
        /* gone already; the runner's sweep reports what is left */
      }
    }
  });
  return added;
}
