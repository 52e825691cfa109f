// Build a challenge's Go files (reference, starter, wrong solutions) into throwaway bin dirs.
// LUX_PREBUILT=<dir> keeps each build there, by the hash of its source, and reuses it: the VM
// suite's programs are built before boot (test/vm/prebuild.ts), not under emulation.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GO_MOD, goBuild } from '../../kernels/go/build.ts';

export async function buildGoFile(goFile: string, binary: string): Promise<string> {
  const dir = mkdtempSync('/tmp/luxlab-fixture-');
  const out = join(dir, 'bin', binary);
  const prebuilt = process.env.LUX_PREBUILT;
  const kept = prebuilt ? join(prebuilt, createHash('sha256').update(readFileSync(goFile)).digest('hex').slice(0, 24), binary) : null;
  if (kept && existsSync(kept)) {
    mkdirSync(join(dir, 'bin'));
    copyFileSync(kept, out);
    return join(dir, 'bin');
  }
  const src = join(dir, 'src');
  mkdirSync(src);
  copyFileSync(goFile, join(src, 'main.go'));
  writeFileSync(join(src, 'go.mod'), GO_MOD('luxlab/fixture'));
  const r = await goBuild(src, out);
  if (!r.ok) throw new Error(`${goFile} does not build:\n${r.output}`);
  if (kept) {
    mkdirSync(join(kept, '..'), { recursive: true });
    copyFileSync(out, `${kept}.tmp`);
    renameSync(`${kept}.tmp`, kept);
  }
  return join(dir, 'bin');
}
