// Warm `go build` of a challenge through the kernel's goBuild: one build to warm up, then
// rebuilds after touching main.go (same content: the build cache answers everything) and
// after editing it (a comment appended: main recompiles and relinks).
import { appendFileSync, copyFileSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GO_MOD, goBuild } from '../kernels/go/build.ts';
import { Lab } from '../server/lab.ts';
import { median } from './stats.ts';

export interface BuildBench {
  challenge: string;
  runs: number;
  firstMs: number;
  touchMs: number[];
  editMs: number[];
  medianTouchMs: number;
  medianEditMs: number;
}

export async function benchBuild(opts: { tmp: string; challenge: string; runs: number; log: (s: string) => void }): Promise<BuildBench> {
  const lab = new Lab({ workspaceRoot: join(opts.tmp, 'workspace-build') });
  const source = lab.challenge(opts.challenge);
  const src = join(opts.tmp, 'gobuild', 'src');
  mkdirSync(src, { recursive: true });
  const main = join(src, 'main.go');
  copyFileSync(source.solution, main);
  writeFileSync(join(src, 'go.mod'), GO_MOD('luxlab/bench'));
  const out = join(opts.tmp, 'gobuild', 'bin', source.challenge.binary);
  const build = async () => {
    const r = await goBuild(src, out);
    if (!r.ok) throw new Error(`go build of ${opts.challenge} failed:\n${r.output}`);
    return r.durationMs;
  };
  const firstMs = await build();
  opts.log(`  first build: ${firstMs} ms`);
  const touchMs: number[] = [];
  const editMs: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const now = new Date();
    utimesSync(main, now, now);
    touchMs.push(await build());
    appendFileSync(main, `\n// bench edit ${Date.now()}-${i}\n`); // new content: a real recompile
    editMs.push(await build());
    opts.log(`  rebuild ${i + 1}: touched ${touchMs.at(-1)} ms, edited ${editMs.at(-1)} ms`);
  }
  return { challenge: opts.challenge, runs: opts.runs, firstMs, touchMs, editMs, medianTouchMs: median(touchMs), medianEditMs: median(editMs) };
}
