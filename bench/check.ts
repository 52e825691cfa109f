// Check overhead: a verifier run against a prebuilt reference solution, N times.
// overhead = durationMs − binaryMs (the time the check itself spends around the program).
import { dirname, join } from 'node:path';
import { rmSync } from 'node:fs';
import { Lab } from '../server/lab.ts';
import { buildGoFile } from '../test/support/fixtures.ts';
import { median } from './stats.ts';

export interface CheckBench {
  challenge: string;
  runs: number;
  status: string[];
  durationMs: number[];
  binaryMs: number[];
  overheadMs: number[];
  medianOverheadMs: number;
  medianDurationMs: number;
  medianBinaryMs: number;
}

export async function benchCheck(opts: { tmp: string; challenge: string; runs: number; log: (s: string) => void }): Promise<CheckBench> {
  // A throwaway workspace: with binDir given the check never touches it, but Lab wants one.
  const lab = new Lab({ workspaceRoot: join(opts.tmp, `workspace-${opts.challenge}`) });
  const source = lab.challenge(opts.challenge);
  const binDir = await buildGoFile(source.solution, source.challenge.binary);
  const r: CheckBench = {
    challenge: opts.challenge,
    runs: opts.runs,
    status: [],
    durationMs: [],
    binaryMs: [],
    overheadMs: [],
    medianOverheadMs: NaN,
    medianDurationMs: NaN,
    medianBinaryMs: NaN,
  };
  try {
    for (let i = 0; i < opts.runs; i++) {
      const res = await lab.check(opts.challenge, { binDir });
      r.status.push(res.status);
      r.durationMs.push(res.durationMs);
      r.binaryMs.push(res.binaryMs);
      r.overheadMs.push(res.durationMs - res.binaryMs);
      opts.log(`  ${opts.challenge} run ${i + 1}: ${res.status}, total ${res.durationMs.toFixed(0)} ms, binary ${res.binaryMs.toFixed(0)} ms`);
    }
  } finally {
    rmSync(dirname(binDir), { recursive: true, force: true }); // buildGoFile's temp dir
  }
  r.medianOverheadMs = median(r.overheadMs);
  r.medianDurationMs = median(r.durationMs);
  r.medianBinaryMs = median(r.binaryMs);
  return r;
}
