// What the kernel holds that a test may have left: compared before and after a suite.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { cgroup2Mount } from '../../kernels/jail.ts';
import { allPids, comm, mountinfo } from '../../kernels/proc.ts';
import { hostState } from '../../kernels/check/host-guard.ts';
import { listCgroups, listLoops, rootControllers } from '../../kernels/check/cgroup-guard.ts';

export interface KernelPicture {
  hostname: string;
  netns: string[];
  links: string[];
  mounts: string[];
  luxCgroups: string[];
  cgroups: string[];
  loops: string[];
  rootControllers: string[];
  strays: string[];
  scratch: string[];
  iptables: string;
  sysctls: Record<string, string>;
}

const sh = (file: string, args: string[]) => execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

/**
 * The loads and tools the verifiers start, and every challenge's binary: one of them alive
 * after a suite that did not have it before is a process a check failed to end (a learner's
 * command moved out of the jail into a cgroup of its own, say).
 */
const WATCHED = /^(sleep|dd|tail|head|yes|timeout|sh|bash|busybox|unshare|nsenter|ip|iptables|socat|nc|ping|systemd-run|cgroup(-[a-z]+)?|slice-runner|[a-z]+ns|[a-z-]*container|veth|bridge|netconnect|nat-setup|portfwd|docker-net|netns-[a-z]+|ping-test)$/;

function strays(): string[] {
  return allPids()
    .map((pid) => `${pid} ${comm(pid)}`)
    .filter((p) => WATCHED.test(p.split(' ')[1] ?? ''))
    .sort();
}

export function kernelPicture(): KernelPicture {
  const cg = cgroup2Mount();
  const luxDir = cg ? `${cg}/luxlab` : null;
  return {
    hostname: hostname(),
    netns: sh('ip', ['netns', 'list']).split('\n').filter(Boolean).sort(),
    links: (JSON.parse(sh('ip', ['-json', 'link'])) as { ifname: string }[]).map((l) => l.ifname).sort(),
    mounts: mountinfo('self').map((m) => `${m.mountPoint} ${m.fsType}`).sort(),
    luxCgroups: luxDir && existsSync(luxDir) ? readdirSync(luxDir).filter((n) => !n.includes('.')).sort() : [],
    cgroups: listCgroups(),
    loops: listLoops(),
    rootControllers: rootControllers(),
    strays: strays(),
    scratch: readdirSync('/tmp').filter((n) => n.startsWith('luxlab-')).sort(),
    iptables: hostState().iptables ?? '',
    sysctls: hostState().sysctls,
  };
}

/**
 * The kernel now against a picture taken before: equal, except that processes that were
 * there before may have ended (exec'd into another program, like scripts/test's shell).
 */
export function assertKernelAsBefore(before: KernelPicture, adjust: (now: KernelPicture) => void = () => {}): void {
  const now = kernelPicture();
  adjust(now);
  now.strays = now.strays.filter((p) => !before.strays.includes(p));
  assert.deepEqual({ ...now, strays: now.strays }, { ...before, strays: [] }, 'the kernel holds something a test made');
}

// `node --import tsx test/support/leaks.ts FILE` records the picture before the whole suite.
if (import.meta.url === `file://${process.argv[1]}` && process.argv[2]) {
  writeFileSync(process.argv[2], JSON.stringify(kernelPicture(), null, 2));
}
