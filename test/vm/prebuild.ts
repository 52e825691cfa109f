// Builds every program (reference, starter, wrong solutions) of the challenges the VM suite
// checks into LUX_PREBUILT, so the VM does not compile under emulation. scripts/test-vm runs it
// in a chroot of the image (the VM's own Go); scripts/vm-dev users run it on the host.
//   LUX_PREBUILT=<dir> node --import tsx test/vm/prebuild.ts [stage…]   (default: 10)
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Lab } from '../../server/lab.ts';
import { buildGoFile } from '../support/fixtures.ts';

if (!process.env.LUX_PREBUILT) throw new Error('set LUX_PREBUILT to the folder the builds go to');
const stages = new Set((process.argv.slice(2).length ? process.argv.slice(2) : ['10']).map(Number));
const workspace = '/tmp/luxlab-prebuild-workspace';
const lab = new Lab({ workspaceRoot: workspace });
let n = 0;
for (const source of lab.catalog.challenges.values()) {
  if (!stages.has(source.challenge.stage)) continue;
  for (const file of [source.solution, source.starter, ...source.wrong.map((w) => w.path)]) {
    rmSync(dirname(await buildGoFile(file, source.challenge.binary)), { recursive: true, force: true });
    n++;
  }
}
rmSync(workspace, { recursive: true, force: true });
console.log(`prebuild: ${n} programs of stage ${[...stages].join(', ')} in ${process.env.LUX_PREBUILT}`);
