// `npm run bench`: measures the lab on this machine and prints a table of medians; the raw
// figures go to test-results/bench.json. It measures and never asserts on time. Loopback only;
// everything it starts (server, terminal sessions, ptys, temp dirs) is closed or removed.
//   npm run bench                 everything (about a minute on 2 cores)
//   npm run bench -- terminal     only some sections: terminal, check, cgroups, build, pages, workshop
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../server/lab.ts';
import { benchBuild, type BuildBench } from './build.ts';
import { benchCheck, type CheckBench } from './check.ts';
import { benchCgroups, type CgroupsBench } from './cgroups.ts';
import { benchPages, type PagesBench } from './pages.ts';
import { fmt, kB, table, type Row } from './stats.ts';
import { benchTerminal, type TerminalResults } from './terminal.ts';
import { benchWorkshop, type WorkshopBench } from './workshop.ts';

const CAT_RUNS = 5;
const CAT_BYTES = 50 * 2 ** 20; // 50 MiB of text
const KEYSTROKES = 300;
const CHECK_RUNS = 7;
const CHECKS = ['uts-container', 'container-run'];
const BUILD_RUNS = 5;
const BUILD_CHALLENGE = 'uts-container';
const WORKSHOP_VIEWERS = 50;
const WORKSHOP_KEYSTROKES = 200;
const CGROUPS = 300;
const CGROUP_PROBES = 20;
const SECTIONS = ['pages', 'build', 'check', 'cgroups', 'terminal', 'workshop'] as const;
type Section = (typeof SECTIONS)[number];

const asked = process.argv.slice(2);
for (const a of asked) if (!(SECTIONS as readonly string[]).includes(a)) throw new Error(`unknown section ${a}: ${SECTIONS.join(', ')}`);
const want = (s: Section) => asked.length === 0 || asked.includes(s);

const t0 = performance.now();
const log = (s: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${s}`);

const tmp = mkdtempSync('/tmp/luxlab-bench-');
process.once('SIGINT', () => {
  rmSync(tmp, { recursive: true, force: true });
  process.exit(130);
});

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

const results: {
  meta: Record<string, unknown>;
  pages?: PagesBench;
  build?: BuildBench;
  checks?: CheckBench[];
  cgroups?: CgroupsBench;
  terminal?: TerminalResults;
  workshop?: WorkshopBench;
} = {
  meta: {
    startedAt: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadavgStart: loadavg(),
  },
};

try {
  if (want('pages')) {
    log('page weight');
    results.pages = await benchPages({ log });
  }
  if (want('build')) {
    log(`warm go build of ${BUILD_CHALLENGE}, ${BUILD_RUNS} rebuilds`);
    results.build = await benchBuild({ tmp, challenge: BUILD_CHALLENGE, runs: BUILD_RUNS, log });
  }
  if (want('check')) {
    results.checks = [];
    for (const challenge of CHECKS) {
      log(`check ${challenge}, ${CHECK_RUNS} runs`);
      results.checks.push(await benchCheck({ tmp, challenge, runs: CHECK_RUNS, log }));
    }
  }
  if (want('cgroups')) {
    log(`cgroup tree probe: ${CGROUPS} cgroups, ${CGROUP_PROBES} pictures`);
    results.cgroups = await benchCgroups({ cgroups: CGROUPS, runs: CGROUP_PROBES, log });
  }
  if (want('terminal')) {
    log(`terminal: cat ${CAT_RUNS}× over WebSocket and bare pty, then ${KEYSTROKES} keystrokes`);
    results.terminal = await benchTerminal({ tmp, fileBytes: CAT_BYTES, runs: CAT_RUNS, keystrokes: KEYSTROKES, log });
  }
  if (want('workshop')) {
    log(`workshop: a shared terminal with steady output, ${WORKSHOP_VIEWERS} acking viewers + 1 stalled, ${WORKSHOP_KEYSTROKES} keystrokes alone and with them`);
    results.workshop = await benchWorkshop({ tmp, viewers: WORKSHOP_VIEWERS, keystrokes: WORKSHOP_KEYSTROKES, log });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
results.meta.loadavgEnd = loadavg();
results.meta.seconds = Math.round((performance.now() - t0) / 100) / 10;

const rows: Row[] = [];
const t = results.terminal;
if (t) {
  const mb = (t.fileBytes / 1e6).toFixed(1);
  const section = `terminal: cat ${mb} MB`;
  const bytesNote = (runs: typeof t.ws) => `${Math.round(runs.reduce((s, r) => s + r.bytesReceived, 0) / runs.length / 1e6 * 10) / 10} MB received/run`;
  const wsResyncs = t.ws.reduce((s, r) => s + r.resets, 0);
  const timeouts = [...t.ws, ...t.bare].filter((r) => r.timedOut).length;
  rows.push({ section, metric: 'pty → server → WebSocket → acking client', value: `${fmt(t.wsMedianMBps)} MB/s`, runs: `${t.runs}`, note: `${bytesNote(t.ws)}, ${wsResyncs} resyncs` });
  rows.push({ section, metric: 'bare node-pty (the pty alone)', value: `${fmt(t.bareMedianMBps)} MB/s`, runs: `${t.runs}`, note: bytesNote(t.bare) });
  rows.push({ section, metric: 'ratio WebSocket / bare', value: fmt(t.ratio, 2), runs: '', note: timeouts ? `${timeouts} run(s) timed out, left out` : '' });
  rows.push({ section, metric: 'headless xterm parse alone (diagnostic)', value: `${fmt(t.xtermParseMedianMBps)} MB/s`, runs: `${t.runs}`, note: "the server's screen model, no pty, no socket (10 MiB)" });
  const ks = `${t.latencyWs.samplesMs.length}`;
  rows.push({ section: 'keystroke echo', metric: 'WebSocket p50', value: `${fmt(t.latencyWs.p50, 2)} ms`, runs: ks, note: 'bash readline echo, stty sane' });
  rows.push({ section: 'keystroke echo', metric: 'WebSocket p99', value: `${fmt(t.latencyWs.p99, 2)} ms`, runs: ks, note: `max ${fmt(t.latencyWs.max, 2)} ms` });
  rows.push({ section: 'keystroke echo', metric: 'bare pty p50', value: `${fmt(t.latencyBare.p50, 2)} ms`, runs: `${t.latencyBare.samplesMs.length}`, note: 'reference: same bash, no server' });
  rows.push({ section: 'keystroke echo', metric: 'bare pty p99', value: `${fmt(t.latencyBare.p99, 2)} ms`, runs: `${t.latencyBare.samplesMs.length}`, note: `max ${fmt(t.latencyBare.max, 2)} ms` });
}
const w = results.workshop;
if (w) {
  const section = `workshop: ${w.viewers} viewers + 1 stalled`;
  const v = w.viewerKBps;
  rows.push({ section, metric: 'delivered per viewer: min', value: `${fmt(v.min)} kB/s`, runs: `${w.viewers}`, note: `source ${fmt(w.sourceKBps)} kB/s (what the instructor received), ${w.windowSeconds} s window` });
  rows.push({ section, metric: 'delivered per viewer: median', value: `${fmt(v.median)} kB/s`, runs: `${w.viewers}`, note: `max ${fmt(v.max)} kB/s, ${w.viewerResyncs} resyncs` });
  const la = w.latencyAlone;
  const lv = w.latencyWithViewers;
  rows.push({ section, metric: 'instructor echo, alone: p50', value: `${fmt(la.p50, 2)} ms`, runs: `${la.samplesMs.length}`, note: 'output running, tty echo' });
  rows.push({ section, metric: 'instructor echo, alone: p99', value: `${fmt(la.p99, 2)} ms`, runs: `${la.samplesMs.length}`, note: `max ${fmt(la.max, 2)} ms; server CPU ${w.serverCpuPercent.alone}%` });
  rows.push({ section, metric: 'instructor echo, with viewers: p50', value: `${fmt(lv.p50, 2)} ms`, runs: `${lv.samplesMs.length}` });
  rows.push({ section, metric: 'instructor echo, with viewers: p99', value: `${fmt(lv.p99, 2)} ms`, runs: `${lv.samplesMs.length}`, note: `max ${fmt(lv.max, 2)} ms; server CPU ${w.serverCpuPercent.withViewers}%` });
  const m = w.memory;
  const gcNote = m.gc ? 'after GC, server process alone' : 'NO GC (node without --expose-gc): noisy';
  rows.push({ section, metric: 'server memory per viewer: rss', value: `${m.perViewerKB.rss} kB`, runs: `${w.viewers}`, note: `${gcNote}; rss ${m.base.rssMB} → ${m.with50.rssMB} MB` });
  rows.push({ section, metric: 'server memory per viewer: heap', value: `${m.perViewerKB.heapUsed} kB`, runs: `${w.viewers}`, note: `external (buffers) ${m.perViewerKB.external} kB/viewer` });
  const s = w.stalled;
  rows.push({ section, metric: 'stalled viewer: server-side unacked max', value: `${(s.unackedMax / 1000).toFixed(1)} kB`, runs: `${s.samples}`, note: `bounded: high watermark ${s.highWatermark / 1000} kB + one pty read; dropped behind: ${s.missed}` });
  rows.push({ section, metric: 'stalled viewer: server memory over the window', value: `${m.stalledDeltaKB.rss} kB`, runs: '1', note: `rss; heap ${m.stalledDeltaKB.heapUsed} kB, external ${m.stalledDeltaKB.external} kB; socket buffer max ${(s.socketBufferedMax / 1000).toFixed(1)} kB` });
}
for (const c of results.checks ?? []) {
  const section = `check ${c.challenge}`;
  const passed = c.status.filter((s) => s === 'passed').length;
  rows.push({ section, metric: 'overhead (durationMs − binaryMs)', value: `${fmt(c.medianOverheadMs, 0)} ms`, runs: `${c.runs}`, note: `${passed}/${c.runs} passed` });
  rows.push({ section, metric: 'total durationMs', value: `${fmt(c.medianDurationMs, 0)} ms`, runs: `${c.runs}` });
  rows.push({ section, metric: 'binaryMs (the program under test)', value: `${fmt(c.medianBinaryMs, 0)} ms`, runs: `${c.runs}` });
}
const cg = results.cgroups;
if (cg) {
  const section = `cgroup tree probe: ${cg.nodes} cgroups`;
  rows.push({ section, metric: 'one picture (probeCgroups)', value: `${fmt(cg.medianProbeMs)} ms`, runs: `${cg.runs}`, note: 'every interface file the diagram shows, read synchronously in turns' });
  rows.push({ section, metric: 'picture as JSON', value: kB(cg.jsonBytes), runs: '1', note: 'what /api/probes/cgroups sends (before compression)' });
}
const b = results.build;
if (b) {
  const section = `go build ${b.challenge}`;
  rows.push({ section, metric: 'rebuild after touch main.go (same content)', value: `${fmt(b.medianTouchMs, 0)} ms`, runs: `${b.runs}`, note: 'cache hit: no compile, no link' });
  rows.push({ section, metric: 'rebuild after editing main.go (a comment)', value: `${fmt(b.medianEditMs, 0)} ms`, runs: `${b.runs}`, note: 'main recompiled + relinked, deps cached' });
  rows.push({ section, metric: 'first build of the module (warm-up)', value: `${fmt(b.firstMs, 0)} ms`, runs: '1', note: 'shared GOCACHE: not a cold build' });
}
const p = results.pages;
if (p) {
  const section = 'page weight (JS+CSS)';
  rows.push({ section, metric: 'home: gzip -9', value: kB(p.home.gzip), runs: '-', note: `${p.home.files.length} files` });
  rows.push({ section, metric: 'home: raw', value: kB(p.home.raw), runs: '-' });
  rows.push({ section, metric: 'notebook (go + terminal cells): gzip -9', value: kB(p.notebook.gzip), runs: '-', note: `${p.notebook.files.length} files` });
  rows.push({ section, metric: 'notebook (go + terminal cells): raw', value: kB(p.notebook.raw), runs: '-' });
  for (const f of p.notebook.files.filter((f) => p.notebookOnly.includes(f.file))) {
    rows.push({ section, metric: `  notebook only: ${f.file.replace(/^assets\//, '')}`, value: kB(f.gzip), runs: '-', note: `raw ${kB(f.raw)}` });
  }
  for (const f of p.otherAssets) {
    rows.push({ section, metric: `  not counted: ${f.file.replace(/^assets\//, '')}`, value: kB(f.gzip), runs: '-', note: `raw ${kB(f.raw)} (font, loaded by Monaco's CSS)` });
  }
  rows.push({ section, metric: 'Monaco chunk on the home page?', value: p.monacoOnHome ? 'YES' : 'no', runs: '-', note: `${p.monacoChunk} is only in the notebook set` });
}

const outDir = join(REPO_ROOT, 'test-results');
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, 'bench.json');
writeFileSync(outFile, JSON.stringify(results, null, 2) + '\n');

console.log('');
console.log(table(rows));
console.log('');
console.log(
  `Each figure is the median of the runs shown (keystroke echo: percentiles over single keystrokes; page weight is exact; kB = 1000 bytes). ` +
    `${results.meta.cpus} CPUs, load average ${loadavg()[0]!.toFixed(2)} at the end, ${results.meta.seconds} s in all. Raw figures: ${outFile}`,
);
