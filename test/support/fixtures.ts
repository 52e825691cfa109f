// Build a challenge's Go files (reference, starter, wrong solutions) into throwaway bin dirs.
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GO_MOD, goBuild } from '../../kernels/go/build.ts';

export async function buildGoFile(goFile: string, binary: string): Promise<string> {
  const dir = mkdtempSync('/tmp/luxlab-fixture-');
  const src = join(dir, 'src');
  mkdirSync(src);
  copyFileSync(goFile, join(src, 'main.go'));
  writeFileSync(join(src, 'go.mod'), GO_MOD('luxlab/fixture'));
  const r = await goBuild(src, join(dir, 'bin', binary));
  if (!r.ok) throw new Error(`${goFile} does not build:\n${r.output}`);
  return join(dir, 'bin');
}
