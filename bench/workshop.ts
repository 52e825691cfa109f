// The workshop benchmark (issue 6), on loopback, in three processes so that each figure is
// what it says: the lab server in workshop mode (bench/workshop-server.ts, --expose-gc), the
// viewers (bench/workshop-viewers.ts), and here the instructor's client, which types.
// The instructor's shared terminal prints steady output (a bounded-rate loop); 50 viewers
// watch it and ack like the browser, plus one stalled viewer that never reads. Measured:
// bytes/s delivered to each viewer, the instructor's keystroke echo latency with and without
// the viewers, server memory per viewer, and that the stalled viewer's backlog stays bounded.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { FLOW } from '../common/protocol.ts';
import { REPO_ROOT } from '../server/lab.ts';
import { median, percentile } from './stats.ts';
import { BenchClient, typeAndTime, within, type LatencyResult } from './terminal.ts';
import { BENCH_TOKEN, type ServerReply, type ServerRequest, type ViewersReply, type ViewersRequest } from './workshop-ipc.ts';

/** Steady output at a bounded rate: 2001 lines of 7 characters (16 kB with the tty's \r\n) every 0.1 s, at most. */
const OUTPUT_LOOP = 'while :; do seq 100000 102000; sleep 0.1; done';
const MAX_VIEWERS = 60;
const WARMUP_MS = 2000;
/** The window bytes/s are measured over (the keystrokes with viewers are typed inside it). */
const WINDOW_MS = 10_000;
const FLOW_SAMPLE_MS = 250;
const CHILD_TIMEOUT_MS = 60_000;

type Request<Req> = Req extends unknown ? Omit<Req, 'id'> : never;

/** A forked child answering requests by id over IPC. */
class Child<Req extends { id: number; type: string }, Rep extends { type: string }> {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: Rep) => void>();
  readonly ready: Promise<Rep>;
  readonly exited: Promise<void>;

  constructor(
    readonly proc: ChildProcess,
    what: string,
  ) {
    let ready!: (r: Rep) => void;
    this.ready = new Promise<Rep>((r) => (ready = r));
    proc.on('message', (m: Rep & { id?: number }) => {
      if (m.id === undefined) return ready(m);
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    });
    this.exited = new Promise<void>((r) => proc.once('exit', () => r()));
    void this.exited.then(() => {
      for (const w of this.waiting.values()) w({ type: 'error', message: `${what} exited` } as unknown as Rep);
      this.waiting.clear();
    });
  }

  async ask<T extends Rep['type']>(req: Request<Req>): Promise<Extract<Rep, { type: T }>> {
    const id = this.nextId++;
    const answer = new Promise<Rep>((r) => this.waiting.set(id, r));
    this.proc.send({ ...req, id });
    const rep = await within(answer, CHILD_TIMEOUT_MS, { type: 'error', message: `no answer to ${req.type}` } as unknown as Rep);
    if (rep.type === 'error') throw new Error((rep as unknown as { message: string }).message);
    return rep as Extract<Rep, { type: T }>;
  }

  /** Ask it to stop; kill it if it does not exit in time. */
  async stop(stopRequest: Request<Req>): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    await this.ask(stopRequest).catch(() => {});
    if (!(await within(this.exited.then(() => true), 5000, false))) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
}

function forkTs(file: string, args: string[], execArgv: string[] = []): ChildProcess {
  return fork(join(REPO_ROOT, 'bench', file), args, { execArgv: ['--import', 'tsx', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

export interface MemoryFigures {
  rssMB: number;
  heapUsedMB: number;
  externalMB: number; // includes arrayBuffers (socket and pty buffers)
}

export interface WorkshopBench {
  viewers: number;
  outputLoop: string;
  windowSeconds: number;
  /** What the instructor's own client received per second in the window: the source rate. */
  sourceKBps: number;
  viewerKBps: { min: number; median: number; max: number; all: number[] };
  /** Resyncs (reset + screen) of the acking viewers in the window. */
  viewerResyncs: number;
  latencyAlone: LatencyResult;
  latencyWithViewers: LatencyResult;
  memory: {
    gc: boolean;
    base: MemoryFigures; // the instructor attached, output running
    with50: MemoryFigures;
    perViewerKB: { rss: number; heapUsed: number; external: number };
    /** After the window with the stalled viewer attached, against with50. */
    stalledDeltaKB: { rss: number; heapUsed: number; external: number };
  };
  stalled: {
    /** The server's unacknowledged bytes for the stalled viewer: bounded by FLOW.highWatermark plus one pty read. */
    unackedMax: number;
    unackedLast: number;
    highWatermark: number;
    missed: boolean;
    bytesReceived: number;
    /** The largest server-side socket buffer (bytes ws had queued for any client). */
    socketBufferedMax: number;
    samples: number;
  };
  serverCpuPercent: { alone: number; withViewers: number };
}

const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
const figures = (u: NodeJS.MemoryUsage): MemoryFigures => ({ rssMB: mb(u.rss), heapUsedMB: mb(u.heapUsed), externalMB: mb(u.external) });

export async function benchWorkshop(opts: { tmp: string; viewers: number; keystrokes: number; log: (s: string) => void }): Promise<WorkshopBench> {
  const { log } = opts;
  let server: Child<ServerRequest, ServerReply> | null = null;
  let viewers: Child<ViewersRequest, ViewersReply> | null = null;
  let teacher: BenchClient | null = null;
  try {
    server = new Child<ServerRequest, ServerReply>(forkTs('workshop-server.ts', [String(MAX_VIEWERS), opts.tmp], ['--expose-gc']), 'the server');
    const ready = (await within(server.ready, CHILD_TIMEOUT_MS, null)) as Extract<ServerReply, { type: 'ready' }> | null;
    if (!ready) throw new Error('the workshop server did not start');
    const url = ready.url;

    teacher = new BenchClient(new WebSocket(`${url.replace('http', 'ws')}/ws/shared`, { headers: { cookie: `lux_token=${BENCH_TOKEN}`, origin: url } }));
    await teacher.opened;
    await teacher.quiet(400);
    teacher.input('stty sane\r');
    await teacher.quiet(300);
    teacher.input(`${OUTPUT_LOOP}\r`);
    await sleep(WARMUP_MS);
    const t = teacher;
    const typing = (count: number) =>
      typeAndTime(
        count,
        (s) => t.input(s),
        (f) => (t.onData = f),
        () => sleep(150), // the output never goes quiet: just a pause around each Ctrl-U
      );

    const memory = async () => server!.ask<'memory'>({ type: 'memory' });
    const cpuPercent = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage, ms: number) => Math.round(((b.user + b.system - a.user - a.system) / 1000 / ms) * 1000) / 10;

    // 1. The instructor alone, output running.
    const base = await memory();
    log(`workshop: memory with the instructor alone: rss ${mb(base.usage.rss)} MB, heap ${mb(base.usage.heapUsed)} MB${base.gc ? ' (after GC)' : ' (no --expose-gc: no GC before measuring)'}`);
    const aloneStart = performance.now();
    const latencyAlone = await typing(opts.keystrokes);
    const aloneEnd = await memory();
    const cpuAlone = cpuPercent(base.cpu, aloneEnd.cpu, performance.now() - aloneStart);
    log(`  echo, instructor alone:  p50 ${latencyAlone.p50.toFixed(2)} ms, p99 ${latencyAlone.p99.toFixed(2)} ms (${latencyAlone.samplesMs.length} samples), server CPU ${cpuAlone}%`);

    // 2. The viewers join; memory once they are all attached.
    viewers = new Child<ViewersRequest, ViewersReply>(forkTs('workshop-viewers.ts', [url, ready.participantToken]), 'the viewers');
    const joined = await viewers.ask<'joined'>({ type: 'join', count: opts.viewers });
    log(`  ${joined.viewers} viewers joined and attached`);
    await sleep(WARMUP_MS);
    const with50 = await memory();

    // 3. The stalled viewer, then the window: bytes per viewer, echo latency, the stalled backlog.
    await viewers.ask<'stalled'>({ type: 'stall' });
    log('  1 stalled viewer attached (never reads)');
    const flow: { unacked: number; missed: boolean }[] = [];
    let socketBufferedMax = 0;
    const sampler = setInterval(() => {
      void server!.ask<'flow'>({ type: 'flow' }).then(
        (f) => {
          const last = f.clients.at(-1); // the stalled viewer attached last
          if (last) flow.push(last);
          socketBufferedMax = Math.max(socketBufferedMax, ...f.socketBuffered);
        },
        () => {},
      );
    }, FLOW_SAMPLE_MS);
    const s0 = await viewers.ask<'sample'>({ type: 'sample' });
    const teacherBytes0 = teacher.bytes;
    const cpu0 = (await memory()).cpu;
    const windowStart = performance.now();
    const latencyWithViewers = await typing(opts.keystrokes);
    const rest = WINDOW_MS - (performance.now() - windowStart);
    if (rest > 0) await sleep(rest);
    const s1 = await viewers.ask<'sample'>({ type: 'sample' });
    const windowMs = s1.at - s0.at;
    const teacherBytes = teacher.bytes - teacherBytes0;
    clearInterval(sampler);
    const after = await memory();
    const cpuWith = cpuPercent(cpu0, after.cpu, performance.now() - windowStart);

    const kbps = s1.bytes.map((b, i) => Math.round(((b - s0.bytes[i]!) / 1000 / (windowMs / 1000)) * 10) / 10);
    const viewerResyncs = s1.resets.reduce((sum, r, i) => sum + r - s0.resets[i]!, 0);
    const sourceKBps = Math.round((teacherBytes / 1000 / (windowMs / 1000)) * 10) / 10;
    log(`  echo, with ${opts.viewers}+1 viewers: p50 ${latencyWithViewers.p50.toFixed(2)} ms, p99 ${latencyWithViewers.p99.toFixed(2)} ms (${latencyWithViewers.samplesMs.length} samples), server CPU ${cpuWith}%`);
    log(`  delivered per viewer: min ${Math.min(...kbps)} kB/s, median ${median(kbps)} kB/s (source ${sourceKBps} kB/s), ${viewerResyncs} resyncs`);

    const perViewer = (a: NodeJS.MemoryUsage, b: NodeJS.MemoryUsage, n: number) => ({
      rss: Math.round((b.rss - a.rss) / 1024 / n),
      heapUsed: Math.round((b.heapUsed - a.heapUsed) / 1024 / n),
      external: Math.round((b.external - a.external) / 1024 / n),
    });
    const unacked = flow.map((f) => f.unacked);
    const result: WorkshopBench = {
      viewers: opts.viewers,
      outputLoop: OUTPUT_LOOP,
      windowSeconds: Math.round(windowMs / 100) / 10,
      sourceKBps,
      viewerKBps: { min: Math.min(...kbps), median: median(kbps), max: Math.max(...kbps), all: kbps },
      viewerResyncs,
      latencyAlone,
      latencyWithViewers,
      memory: {
        gc: base.gc,
        base: figures(base.usage),
        with50: figures(with50.usage),
        perViewerKB: perViewer(base.usage, with50.usage, opts.viewers),
        stalledDeltaKB: perViewer(with50.usage, after.usage, 1),
      },
      stalled: {
        unackedMax: unacked.length ? Math.max(...unacked) : NaN,
        unackedLast: unacked.at(-1) ?? NaN,
        highWatermark: FLOW.highWatermark,
        missed: flow.at(-1)?.missed ?? false,
        bytesReceived: s1.stalledBytes ?? 0,
        socketBufferedMax,
        samples: flow.length,
      },
      serverCpuPercent: { alone: cpuAlone, withViewers: cpuWith },
    };
    log(
      `  stalled viewer: server-side unacked max ${result.stalled.unackedMax} B (high watermark ${FLOW.highWatermark}), p50 ${percentile(unacked, 50)} B over ${flow.length} samples; ` +
        `memory +${result.memory.stalledDeltaKB.rss} kB rss, +${result.memory.stalledDeltaKB.heapUsed} kB heap during the window`,
    );
    return result;
  } finally {
    teacher?.input('\x03'); // Ctrl-C: end the loop (the shell is closed with the server anyway)
    await teacher?.close();
    await viewers?.stop({ type: 'stop' });
    await server?.stop({ type: 'stop' });
  }
}
