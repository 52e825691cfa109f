// The host guard's part for Stage 10: cgroups, the loop devices a check attaches, and the
// systemd units a learner's program asks for. A learner's cgroup program moves its command
// out of the check's jail into a cgroup of its own (that is the exercise), so the jail alone
// cannot clean up after it: every cgroup made during the check is emptied (cgroup.kill) and
// removed afterwards, deepest first.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroup2Mount, removeCgroupTree } from '../jail.ts';

/** The jails' parent (kernels/jail.ts): its children come and go with every run, and clean themselves. */
const JAILS = 'luxlab';
/** What systemd names its units' cgroups. */
const UNIT = /\.(slice|scope|service)$/;
/** systemd-run's own names for a transient unit whose caller gave none (run-u123.scope, run-r….service). */
const TRANSIENT = /^run-[a-z0-9]+\.(scope|service)$/;

/** Every check's scratch folder starts so (CheckContext.tmp), also a dead check's. */
const SCRATCH = '/tmp/luxlab-check-';

const quiet = { encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'ignore'] as ('ignore' | 'pipe')[] };

/** Every cgroup under the cgroup2 mount, as paths relative to it (the jails excluded). */
export function listCgroups(mount = cgroup2Mount()): string[] {
  if (!mount) return [];
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(join(mount, rel), { withFileTypes: true });
    } catch {
      return; // removed while we looked
    }
    for (const d of entries) {
      if (!d.isDirectory()) continue;
      const child = rel ? `${rel}/${d.name}` : d.name;
      if (child === JAILS) continue;
      out.push(child);
      walk(child);
    }
  };
  walk('');
  return out.sort();
}

/** The controllers enabled for the root's children (its cgroup.subtree_control). */
export function rootControllers(mount = cgroup2Mount()): string[] {
  return mount ? readOr(join(mount, 'cgroup.subtree_control')).trim().split(/\s+/).filter(Boolean).sort() : [];
}

/** Loop devices with what backs them ("/dev/loop3 /tmp/luxlab-check-x/disk.img"). */
export function listLoops(): string[] {
  let names: string[];
  try {
    names = readdirSync('/sys/block').filter((n) => n.startsWith('loop'));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    try {
      out.push(`/dev/${n} ${readFileSync(`/sys/block/${n}/loop/backing_file`, 'utf8').trim()}`);
    } catch {
      /* not attached */
    }
  }
  return out.sort();
}

const syncSleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Kill everything in a cgroup's subtree (frozen or not) and remove it, deepest first. */
export function killAndRemoveCgroup(path: string): boolean {
  if (!existsSync(path)) return true;
  try {
    writeFileSync(join(path, 'cgroup.kill'), '1');
  } catch {
    /* gone, or a kernel before 5.14: rmdir below says whether it worked */
  }
  for (let i = 0; i < 100 && /populated 1/.test(readOr(join(path, 'cgroup.events'))); i++) syncSleep(20);
  removeCgroupTree(path);
  return !existsSync(path);
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function stopUnit(unit: string): boolean {
  try {
    execFileSync('systemctl', ['stop', unit], { ...quiet, timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Put cgroups and loop devices back as they were. New cgroups of systemd units are stopped
 * through systemd when they are the check's (they carry one of its names, or are systemd-run's
 * unnamed transient units); other units' cgroups (a login meanwhile) are not ours and stay.
 * Every other new cgroup was made during the check, by the verifier or the learner's
 * program, and is removed: the verifiers assert on the program's own cleanup themselves.
 */
export function restoreCgroups(
  before: { cgroups: string[]; loops: string[]; rootControllers?: string[] },
  isOurs: (name: string) => boolean,
): { swept: string[]; leaked: string[] } {
  const swept: string[] = [];
  const leaked: string[] = [];
  const mount = cgroup2Mount();
  if (mount) {
    const had = new Set(before.cgroups);
    const added = listCgroups(mount).filter((p) => !had.has(p));
    // Topmost first: removing a parent takes its children along.
    const notOurs: string[] = [];
    for (const rel of added.sort((a, b) => a.split('/').length - b.split('/').length)) {
      const path = join(mount, rel);
      if (!existsSync(path) || notOurs.some((p) => rel.startsWith(`${p}/`))) continue;
      const name = rel.split('/').pop() ?? rel;
      if (UNIT.test(name)) {
        if (!isOurs(name) && !TRANSIENT.test(name)) {
          notOurs.push(rel); // and what systemd or that unit made inside it
          continue;
        }
        if (stopUnit(name) && (!existsSync(path) || killAndRemoveCgroup(path))) swept.push(`systemd unit ${name}`);
        else leaked.push(`systemd unit ${name} (cgroup ${rel})`);
      } else if (killAndRemoveCgroup(path)) swept.push(`cgroup ${rel}`);
      else leaked.push(`cgroup ${rel} (could not be removed)`);
    }
  }
  // Controllers a program enabled at the root (the exercise asks for it) are handed back: with
  // the cgroups made during the check gone, nothing below uses them.
  if (mount && before.rootControllers !== undefined) {
    const added = rootControllers(mount).filter((c) => !before.rootControllers!.includes(c));
    if (added.length) {
      try {
        writeFileSync(join(mount, 'cgroup.subtree_control'), added.map((c) => `-${c}`).join(' '));
        swept.push(`root cgroup.subtree_control: ${added.map((c) => `-${c}`).join(' ')} (as before the check)`);
      } catch (err) {
        leaked.push(`controllers ${added.join(' ')} enabled in the root's cgroup.subtree_control (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
  }
  for (const loop of listLoops().filter((l) => !before.loops.includes(l))) {
    const [dev, file = ''] = loop.split(' ');
    if (!file.startsWith(SCRATCH) && !isOurs(file)) {
      leaked.push(`loop device ${loop}`);
      continue;
    }
    try {
      execFileSync('losetup', ['-d', dev!], quiet);
      swept.push(`loop device ${dev}`);
    } catch {
      leaked.push(`loop device ${loop} (losetup -d failed)`);
    }
  }
  return { swept, leaked };
}
