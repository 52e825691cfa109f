// What the kernel holds that a test may have left: compared before and after a suite.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { cgroup2Mount } from '../../kernels/jail.ts';
import { mountinfo } from '../../kernels/proc.ts';
import { hostState } from '../../kernels/check/host-guard.ts';
import { listCgroups, listLoops } from '../../kernels/check/cgroup-guard.ts';

export interface KernelPicture {
  hostname: string;
  netns: string[];
  links: string[];
  mounts: string[];
  luxCgroups: string[];
  cgroups: string[];
  loops: string[];
  scratch: string[];
  iptables: string;
  sysctls: Record<string, string>;
}

const sh = (file: string, args: string[]) => execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

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
    scratch: readdirSync('/tmp').filter((n) => n.startsWith('luxlab-')).sort(),
    iptables: hostState().iptables ?? '',
    sysctls: hostState().sysctls,
  };
}

// `node --import tsx test/support/leaks.ts FILE` records the picture before the whole suite.
if (import.meta.url === `file://${process.argv[1]}` && process.argv[2]) {
  writeFileSync(process.argv[2], JSON.stringify(kernelPicture(), null, 2));
}
