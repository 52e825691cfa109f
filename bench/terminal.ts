// Terminal benchmarks against a real lab server on loopback: `cat` throughput through
// pty → server (headless xterm + flow control) → WebSocket → an acking client, next to the
// same `cat` through a bare node-pty; and keystroke echo latency, over WebSocket and bare.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as pty from 'node-pty';
import xtermHeadless from '@xterm/headless';
import type WebSocket from 'ws';
import { FLOW, type ServerMessage } from '../common/protocol.ts';
import { SAFE_ENV } from '../kernels/exec.ts';
import { openTerminal, startServer, type TestServer } from '../test/support/server.ts';
import { median, percentile } from './stats.ts';

const CHALLENGE = 'uts-container'; // any challenge: the terminal is the challenge's shell
const RUN_TIMEOUT_MS = 60_000;

/** A file of printable text: base64 of random bytes in lines of 76 characters. */
export function makeTextFile(path: string, bytes: number): number {
  const fd = openSync(path, 'w');
  try {
    const lineRaw = 57; // 57 random bytes -> 76 base64 characters
    const linesPerBlock = 4096;
    let written = 0;
    while (written < bytes) {
      const raw = randomBytes(lineRaw * linesPerBlock).toString('base64');
      let block = '';
      for (let i = 0; i < linesPerBlock; i++) block += raw.slice(i * 76, i * 76 + 76) + '\n';
      const buf = Buffer.from(block.slice(0, Math.min(block.length, bytes - written)));
      writeSync(fd, buf);
      written += buf.length;
    }
  } finally {
    closeSync(fd);
  }
  return statSync(path).size;
}

/** Finds an ASCII marker in a byte stream split at arbitrary points. */
class MarkerScan {
  private carry = Buffer.alloc(0);
  private readonly marker: Buffer;
  constructor(marker: string) {
    this.marker = Buffer.from(marker);
  }
  push(data: Buffer): boolean {
    const m = this.marker;
    const found = data.indexOf(m) !== -1 || Buffer.concat([this.carry, data.subarray(0, m.length - 1)]).indexOf(m) !== -1;
    const joined = data.length >= m.length - 1 ? data : Buffer.concat([this.carry, data]);
    this.carry = Buffer.from(joined.subarray(Math.max(0, joined.length - (m.length - 1))));
    return found;
  }
}

/** p's value, or `fallback` after ms; the timer is cleared either way (no stray timers keep node alive). */
export async function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((r) => (timer = setTimeout(() => r(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

let markerCounter = 0;
function newMarker(): { marker: string; printf: string } {
  const n = `${process.pid}${++markerCounter}${Math.floor(Math.random() * 1e6)}`;
  // The typed command line (echoed back) does not contain the marker; only its output does.
  return { marker: `LUXBENCH_END_${n}`, printf: `printf '%s_%s\\n' LUXBENCH_END ${n}` };
}

/** A terminal client as the browser is: binary frames are output; acks every FLOW.ackChunk bytes. */
export class BenchClient {
  bytes = 0;
  frames = 0;
  acks = 0;
  resets = 0;
  lastDataAt = performance.now();
  onData: ((data: Buffer) => void) | null = null;
  private unacked = 0;
  readonly opened: Promise<void>;

  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        const m = JSON.parse(data.toString()) as ServerMessage;
        if (m.type === 'reset') this.resets++;
        return;
      }
      this.lastDataAt = performance.now();
      this.bytes += data.length;
      this.frames++;
      this.unacked += data.length;
      if (this.unacked >= FLOW.ackChunk) {
        this.acks++;
        ws.send(JSON.stringify({ type: 'ack', bytes: this.unacked }));
        this.unacked = 0;
      }
      this.onData?.(data);
    });
    this.opened = new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
  }

  input(data: string): void {
    this.ws.send(JSON.stringify({ type: 'input', data }));
  }

  /** Until no output for quietMs (at most maxMs). */
  async quiet(quietMs = 250, maxMs = 10_000): Promise<void> {
    const end = performance.now() + maxMs;
    while (performance.now() - this.lastDataAt < quietMs && performance.now() < end) await sleep(20);
  }

  close(): Promise<void> {
    const ws = this.ws;
    return new Promise<void>((r) => {
      if (ws.readyState === ws.CLOSED) return r();
      ws.once('close', () => r());
      ws.close();
    });
  }
}

export interface ThroughputRun {
  seconds: number;
  mbPerS: number; // file bytes (10^6) per second
  bytesReceived: number;
  /** Binary frames (ws) or pty reads (bare). */
  chunks: number;
  /** ws only: acks the client sent. */
  acks?: number;
  resets: number;
  timedOut: boolean;
  /** ws only: after the client saw the marker, how long until the server's headless screen had parsed it. */
  screenLagMs?: number;
  /** ws only: the bench process's RSS growth during the run (server and client share it). */
  rssGrowthMB?: number;
}

/** Diagnostic: resolves once the session's headless xterm has parsed everything written to it. */
type ScreenDrain = () => Promise<void>;

function screenDrain(server: TestServer): ScreenDrain | null {
  const session = server.terminals.get(CHALLENGE);
  // A private field, read for this measurement only; without it the lag is simply not reported.
  const screen = (session as unknown as { screen?: { write(data: string, cb: () => void): void } } | undefined)?.screen;
  if (!screen || typeof screen.write !== 'function') return null;
  return () => new Promise<void>((r) => screen.write('', r));
}

async function wsCat(c: BenchClient, file: string, fileBytes: number, drain: ScreenDrain | null): Promise<ThroughputRun> {
  await c.quiet();
  const rss0 = process.memoryUsage.rss();
  let rssMax = rss0;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage.rss())), 50);
  const { marker, printf } = newMarker();
  const scan = new MarkerScan(marker);
  const bytes0 = c.bytes;
  const frames0 = c.frames;
  const acks0 = c.acks;
  const resets0 = c.resets;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  c.onData = (d) => {
    if (scan.push(d)) done();
  };
  const t0 = performance.now();
  c.input(`cat ${file}; ${printf}\r`);
  const timedOut = await within(finished.then(() => false), RUN_TIMEOUT_MS, true);
  const t1 = performance.now();
  const seconds = (t1 - t0) / 1000;
  c.onData = null;
  const screenLagMs = drain && !timedOut ? await within(drain().then(() => performance.now() - t1), 30_000, NaN) : undefined;
  clearInterval(sampler);
  if (timedOut) c.input('\x03');
  await c.quiet();
  return {
    seconds,
    mbPerS: fileBytes / 1e6 / seconds,
    bytesReceived: c.bytes - bytes0,
    chunks: c.frames - frames0,
    acks: c.acks - acks0,
    resets: c.resets - resets0,
    timedOut,
    screenLagMs,
    rssGrowthMB: (rssMax - rss0) / 1e6,
  };
}

function bareCat(file: string, fileBytes: number): Promise<ThroughputRun> {
  const { marker, printf } = newMarker();
  const scan = new MarkerScan(marker);
  return new Promise<ThroughputRun>((resolve) => {
    const t0 = performance.now();
    // The shell stays alive after the marker: node-pty may drop output still unread when the
    // process exits, so the end is the marker, and the sleep is killed.
    const p = pty.spawn('/bin/bash', ['-c', `cat ${file}; ${printf}; exec sleep 120`], {
      name: 'xterm-256color',
      cols: 100,
      rows: 30,
      cwd: '/tmp',
      env: { ...SAFE_ENV, TERM: 'xterm-256color' },
      encoding: null,
    });
    let bytes = 0;
    let chunks = 0;
    let seen = false;
    let exited = false;
    let result: ThroughputRun | null = null;
    const finish = (timedOut: boolean) => {
      if (result) return;
      const seconds = (performance.now() - t0) / 1000;
      result = { seconds, mbPerS: fileBytes / 1e6 / seconds, bytesReceived: bytes, chunks, resets: 0, timedOut };
      clearTimeout(timer);
      if (!exited) {
        try {
          p.kill('SIGKILL');
        } catch {
          /* gone */
        }
      }
      resolve(result);
    };
    const timer = setTimeout(() => finish(true), RUN_TIMEOUT_MS);
    p.onData((d: string | Buffer) => {
      const b = typeof d === 'string' ? Buffer.from(d) : d;
      bytes += b.length;
      chunks++;
      if (!seen && scan.push(b)) {
        seen = true;
        finish(false);
      }
    });
    p.onExit(() => {
      exited = true;
      setTimeout(() => finish(!seen), 200); // exited early (an error): end anyway
    });
  });
}

/**
 * Diagnostic: how fast the server's screen model (a headless xterm like the session's) parses
 * the same text alone, fed in 4 KiB pieces as pty reads arrive, newlines as the pty sends them.
 */
async function xtermParse(file: string, sliceBytes: number): Promise<number> {
  const text = readFileSync(file).subarray(0, sliceBytes).toString('latin1').replaceAll('\n', '\r\n');
  const data = Buffer.from(text, 'latin1');
  const term = new xtermHeadless.Terminal({ cols: 100, rows: 30, scrollback: 1000, allowProposedApi: true });
  try {
    const t0 = performance.now();
    for (let off = 0; off < data.length; off += 4096) term.write(data.subarray(off, off + 4096));
    await new Promise<void>((r) => term.write('', r));
    return data.length / 1e6 / ((performance.now() - t0) / 1000);
  } finally {
    term.dispose();
  }
}

export interface LatencyResult {
  samplesMs: number[];
  p50: number;
  p99: number;
  max: number;
}

const KEYS = 'abcdefghijklmnopqrstuvwxyz';

/** Type `count` single characters, each after the echo of the previous (plus a gap), timing each echo. */
export async function typeAndTime(
  count: number,
  write: (s: string) => void,
  setOnData: (f: ((d: Buffer) => void) | null) => void,
  quiet: () => Promise<void>,
): Promise<LatencyResult> {
  const samples: number[] = [];
  await quiet();
  for (let i = 0; i < count; i++) {
    if (i > 0 && i % 50 === 0) {
      write('\x15'); // Ctrl-U: kill the line, so it never grows past a few wraps
      await quiet();
    }
    const ch = KEYS[i % KEYS.length]!;
    const code = ch.charCodeAt(0);
    const echoed = new Promise<number>((resolve) => {
      setOnData((d) => {
        if (d.includes(code)) resolve(performance.now());
      });
    });
    const t0 = performance.now();
    write(ch);
    const t1 = await within(echoed, 2000, NaN);
    setOnData(null);
    if (Number.isFinite(t1)) samples.push(t1 - t0);
    await sleep(5 + (i % 3) * 5); // small, varied gaps between keystrokes
  }
  write('\x15');
  return { samplesMs: samples, p50: percentile(samples, 50), p99: percentile(samples, 99), max: Math.max(...samples) };
}

async function wsLatency(c: BenchClient, count: number): Promise<LatencyResult> {
  c.input('stty sane\r'); // the defaults: canonical mode off under readline, echo by readline
  await c.quiet(300);
  return typeAndTime(
    count,
    (s) => c.input(s),
    (f) => (c.onData = f),
    () => c.quiet(150),
  );
}

async function bareLatency(count: number): Promise<LatencyResult> {
  const p = pty.spawn('/bin/bash', ['--noprofile', '--norc', '-i'], {
    name: 'xterm-256color',
    cols: 100,
    rows: 30,
    cwd: '/tmp',
    env: { ...SAFE_ENV, TERM: 'xterm-256color', PS1: 'bench# ' },
    encoding: null,
  });
  let onData: ((d: Buffer) => void) | null = null;
  let last = performance.now();
  p.onData((d: string | Buffer) => {
    last = performance.now();
    onData?.(typeof d === 'string' ? Buffer.from(d) : d);
  });
  const quiet = async () => {
    const end = performance.now() + 10_000;
    while (performance.now() - last < 150 && performance.now() < end) await sleep(20);
  };
  try {
    await quiet();
    return await typeAndTime(
      count,
      (s) => p.write(s),
      (f) => (onData = f),
      quiet,
    );
  } finally {
    const exited = new Promise<void>((r) => p.onExit(() => r()));
    p.kill('SIGKILL');
    await within(exited, 2000, undefined);
  }
}

export interface TerminalResults {
  fileBytes: number;
  runs: number;
  ws: ThroughputRun[];
  bare: ThroughputRun[];
  wsMedianMBps: number;
  bareMedianMBps: number;
  ratio: number; // ws / bare
  /** MB/s of the pty's bytes through a lone headless xterm (first 10 MiB of the file). */
  xtermParseMBps: number[];
  xtermParseMedianMBps: number;
  keystrokes: number;
  latencyWs: LatencyResult;
  latencyBare: LatencyResult;
}

export async function benchTerminal(opts: { tmp: string; fileBytes: number; runs: number; keystrokes: number; log: (s: string) => void }): Promise<TerminalResults> {
  const file = join(opts.tmp, 'cat-me.txt');
  const fileBytes = makeTextFile(file, opts.fileBytes);
  opts.log(`terminal: ${(fileBytes / 1e6).toFixed(1)} MB text file at ${file}`);
  let server: TestServer | null = null;
  let c: BenchClient | null = null;
  try {
    server = await startServer();
    c = new BenchClient(openTerminal(server, CHALLENGE));
    await c.opened;
    await c.quiet(400);
    const drain = screenDrain(server);
    const ws: ThroughputRun[] = [];
    const bare: ThroughputRun[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const w = await wsCat(c, file, fileBytes, drain);
      ws.push(w);
      opts.log(`  ws   run ${i + 1}: ${w.mbPerS.toFixed(1)} MB/s (${w.seconds.toFixed(2)} s, ${w.bytesReceived} B in ${w.chunks} frames, ${w.acks} acks, ${w.resets} resyncs, screen lag ${w.screenLagMs?.toFixed(0) ?? 'n/a'} ms, RSS +${w.rssGrowthMB?.toFixed(0)} MB${w.timedOut ? ', TIMED OUT' : ''})`);
      const b = await bareCat(file, fileBytes);
      bare.push(b);
      opts.log(`  bare run ${i + 1}: ${b.mbPerS.toFixed(1)} MB/s (${b.seconds.toFixed(2)} s, ${b.bytesReceived} B in ${b.chunks} reads${b.timedOut ? ', TIMED OUT' : ''})`);
    }
    const xtermParseMBps: number[] = [];
    for (let i = 0; i < opts.runs; i++) xtermParseMBps.push(await xtermParse(file, 10 * 2 ** 20));
    opts.log(`  headless xterm parse alone: ${xtermParseMBps.map((x) => x.toFixed(1)).join(', ')} MB/s`);
    const latencyWs = await wsLatency(c, opts.keystrokes);
    opts.log(`  echo over ws:   p50 ${latencyWs.p50.toFixed(2)} ms, p99 ${latencyWs.p99.toFixed(2)} ms (${latencyWs.samplesMs.length} samples)`);
    const latencyBare = await bareLatency(opts.keystrokes);
    opts.log(`  echo bare pty:  p50 ${latencyBare.p50.toFixed(2)} ms, p99 ${latencyBare.p99.toFixed(2)} ms (${latencyBare.samplesMs.length} samples)`);
    const wsMedianMBps = median(ws.filter((r) => !r.timedOut).map((r) => r.mbPerS));
    const bareMedianMBps = median(bare.filter((r) => !r.timedOut).map((r) => r.mbPerS));
    return {
      fileBytes,
      runs: opts.runs,
      ws,
      bare,
      wsMedianMBps,
      bareMedianMBps,
      ratio: wsMedianMBps / bareMedianMBps,
      xtermParseMBps,
      xtermParseMedianMBps: median(xtermParseMBps),
      keystrokes: opts.keystrokes,
      latencyWs,
      latencyBare,
    };
  } finally {
    await c?.close();
    await server?.stop(); // closes every terminal session (the shell and all it started)
  }
}
