// The cgroup tree probe behind Stage 10's diagram: how long one picture takes, and how big it
// is on the wire, for a hierarchy of the size a systemd machine has (a few hundred cgroups),
// built for the run under the cgroup2 mount and removed after.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupMountPoint, probeCgroups } from '../kernels/probes/cgroups.ts';
import { killAndRemoveCgroup } from '../kernels/check/cgroup-guard.ts';
import { median } from './stats.ts';

export interface CgroupsBench {
  cgroups: number;
  runs: number;
  probeMs: number[];
  medianProbeMs: number;
  nodes: number;
  jsonBytes: number;
}

export async function benchCgroups(opts: { cgroups: number; runs: number; log: (s: string) => void }): Promise<CgroupsBench> {
  const root = join(cgroupMountPoint(), `luxlab-bench-${process.pid}`);
  mkdirSync(root);
  try {
    // Like system.slice: slices of services, each with a child or two.
    for (let i = 0; i < Math.ceil(opts.cgroups / 10); i++) {
      const slice = join(root, `s${i}.slice`);
      mkdirSync(slice);
      for (let j = 0; j < 9; j++) mkdirSync(join(slice, `unit${j}.service`));
    }
    const rel = `/${root.split('/').pop()}`;
    const probeMs: number[] = [];
    let last = await probeCgroups({ root: rel, maxNodes: opts.cgroups + 10 });
    for (let i = 0; i < opts.runs; i++) {
      const t0 = performance.now();
      last = await probeCgroups({ root: rel, maxNodes: opts.cgroups + 10 });
      probeMs.push(performance.now() - t0);
    }
    opts.log(`  ${last.nodes.length} cgroups, median ${median(probeMs).toFixed(1)} ms`);
    return { cgroups: opts.cgroups, runs: opts.runs, probeMs, medianProbeMs: median(probeMs), nodes: last.nodes.length, jsonBytes: JSON.stringify(last).length };
  } finally {
    killAndRemoveCgroup(root);
  }
}
