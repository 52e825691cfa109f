import { mkdtempSync, rmSync } from 'node:fs';
import { benchTerminal } from '/work/main/bench/terminal.ts';
const tmp = mkdtempSync('/tmp/luxlab-bench-');
try {
  const r = await benchTerminal({ tmp, fileBytes: 50 * 2 ** 20, runs: 3, keystrokes: 20, log: (s: string) => console.log(`[${(performance.now()/1000).toFixed(1)}] ${s}`) });
  console.log(r.wsMedianMBps, r.bareMedianMBps, r.ratio);
} finally { rmSync(tmp, { recursive: true, force: true }); }
