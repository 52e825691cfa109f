// What a verifier is given: assertions that stream as they are made, the learner's binary to
// run (jailed, time-limited), standard tools, scratch space, and cleanup that always runs.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AssertionResult } from '../../common/check.ts';
import type { CgroupSnapshot, NamespaceSnapshot, TopologySnapshot } from '../../common/diagram.ts';
import { run, start, SAFE_ENV, type RunOptions, type RunResult, type Started } from '../exec.ts';
import { probeNamespaces } from '../probes/namespaces.ts';
import { probeTopology } from '../probes/topology.ts';
import { CgroupPathError, probeCgroups } from '../probes/cgroups.ts';
import { copyRootfs } from '../rootfs.ts';

/** Thrown by must() to stop a verifier whose later assertions would only repeat the fault. */
export class CheckAbort extends Error {}

export interface AssertionInput {
  id: string;
  title: string;
  pass: boolean;
  expected: string;
  observed: string;
  hint?: string;
}

export interface ContextOptions {
  binDir: string;
  binary: string;
  signal: AbortSignal;
  onAssertion(a: AssertionResult): void;
  onLog(text: string): void;
  /** Time limit for one run of the learner's binary unless the verifier says otherwise. */
  binaryTimeoutMs?: number;
}

export class CheckContext {
  readonly assertions: AssertionResult[] = [];
  /** Names this check handed out: leftovers carrying them are swept after cleanup. */
  readonly names: string[] = [];
  readonly tmp: string;
  binaryMs = 0;
  diagram?: NamespaceSnapshot;
  topology?: TopologySnapshot;
  cgroups?: CgroupSnapshot;
  private readonly cleanups: (() => unknown)[] = [];
  private readonly started = new Set<Started>();
  /** Set while cleanups run: the check's signal is aborted by then, tools must still run. */
  private cleaning = false;

  constructor(private readonly opts: ContextOptions) {
    this.tmp = mkdtempSync('/tmp/luxlab-check-');
  }

  get signal(): AbortSignal {
    return this.opts.signal;
  }

  /** Record an assertion; returns whether it passed. */
  assert(a: AssertionInput): boolean {
    const result: AssertionResult = { ...a };
    if (a.pass) delete result.hint;
    this.assertions.push(result);
    this.opts.onAssertion(result);
    return a.pass;
  }

  /** Like assert, but a failure ends the verifier (cleanup still runs). */
  must(a: AssertionInput): void {
    if (!this.assert(a)) throw new CheckAbort(a.id);
  }

  /** Assert observed === expected (compared as JSON), showing both. */
  equal<T>(id: string, title: string, observed: T, expected: T, hint?: string): boolean {
    const show = (v: T) => (typeof v === 'string' ? v : JSON.stringify(v));
    return this.assert({ id, title, pass: JSON.stringify(observed) === JSON.stringify(expected), expected: show(expected), observed: show(observed), hint });
  }

  log(text: string): void {
    this.opts.onLog(text);
  }

  /** Run fn after the verifier, last registered first, whatever happened. */
  defer(fn: () => unknown): void {
    this.cleanups.push(fn);
  }

  /** A unique name (≤ 15 characters, so it also fits an interface name). */
  name(prefix = 'lx'): string {
    const n = `${prefix.slice(0, 8)}${randomBytes(3).toString('hex')}`;
    this.names.push(n);
    return n;
  }

  get binaryPath(): string {
    return join(this.opts.binDir, this.opts.binary);
  }

  /** The learner's binary with these arguments, to completion. A hang is killed and fails the check. */
  async run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const r = await run(this.binaryPath, args, this.binaryOptions(opts));
    this.binaryMs += r.durationMs;
    this.failIfHung(r, opts);
    return r;
  }

  /** The learner's binary, left running (e.g. to inspect its namespaces); killed at cleanup. */
  start(args: string[], opts: RunOptions = {}): Started {
    const s = start(this.binaryPath, args, this.binaryOptions(opts));
    this.started.add(s);
    void s.done.then((r) => {
      this.binaryMs += r.durationMs;
      this.started.delete(s);
    });
    return s;
  }

  /** A standard tool left running (a server in a namespace…); killed with all it started at cleanup. */
  background(file: string, args: string[], opts: RunOptions = {}): Started {
    const s = start(file, args, { env: SAFE_ENV, signal: this.signal, ...opts });
    this.started.add(s);
    void s.done.then(() => this.started.delete(s));
    return s;
  }

  /** A standard tool (ip, ipcs, mount…) run by the verifier itself. Throws if it fails, unless allowFail. */
  async sh(file: string, args: string[], opts: RunOptions & { allowFail?: boolean } = {}): Promise<RunResult> {
    const r = await run(file, args, { timeoutMs: 10_000, signal: this.cleaning ? undefined : this.signal, ...opts });
    if (!opts.allowFail && (r.code !== 0 || r.timedOut)) {
      throw new Error(`${r.command} failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${r.stderr.trim()}`);
    }
    return r;
  }

  /** A fresh copy of the busybox rootfs, removed after the check. */
  async rootfs(): Promise<string> {
    return copyRootfs(join(this.tmp, 'rootfs'));
  }

  /**
   * Poll until fn returns something other than undefined/false, or the time runs out — or,
   * given a started binary, as soon as it has exited (a starter that quits at once fails fast).
   */
  async waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 3000, unlessExited?: Started): Promise<T | undefined> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const gone = unlessExited?.exited() ?? false;
      const v = await fn();
      if (v !== undefined && v !== false) return v;
      if (gone || Date.now() > end || this.signal.aborted) return undefined;
      await sleep(25);
    }
  }

  /** Capture the namespace picture now; the check cell shows the last one taken. */
  snapshot(focus: number[] = []): void {
    this.diagram = probeNamespaces(focus);
  }

  /** Capture the network topology now (every netns: links, addresses, routes, NAT); the check cell shows the last one. */
  async snapshotTopology(): Promise<void> {
    this.topology = await probeTopology();
  }

  /**
   * Capture the cgroup tree now (nesting, controllers, processes, limits and usage); the check
   * cell shows the last one. root: where the picture starts, relative to the cgroup2 mount
   * ('/' by default) or absolute under it — if it is gone, its nearest existing ancestor;
   * focus: cgroups to highlight and keep expanded (what the challenge made).
   */
  async snapshotCgroups(root?: string, focus: string[] = []): Promise<void> {
    try {
      this.cgroups = await probeCgroups({ root, focus, nearestExisting: true });
    } catch (err) {
      // A picture is not an assertion: a machine without cgroup2, or a bad path, is said, not fatal.
      if (!(err instanceof CgroupPathError)) throw err;
      this.log(`no cgroup picture: ${err.message}`);
    }
  }

  /** Runs every deferred cleanup and kills what the learner's binaries left running. */
  async cleanup(): Promise<string[]> {
    const errors: string[] = [];
    this.cleaning = true;
    for (const s of this.started) await s.kill();
    for (const fn of this.cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        errors.push(`cleanup: ${(err as Error).message}`);
      }
    }
    return errors;
  }

  private binaryOptions(opts: RunOptions): RunOptions {
    return { timeoutMs: this.opts.binaryTimeoutMs ?? 10_000, cwd: this.tmp, env: SAFE_ENV, signal: this.signal, ...opts };
  }

  private failIfHung(r: RunResult, opts: RunOptions): void {
    if (!r.timedOut) return;
    const limit = (opts.timeoutMs ?? this.opts.binaryTimeoutMs ?? 10_000) / 1000;
    this.must({
      id: 'binary-finished',
      title: `\`${r.command}\` finishes`,
      pass: false,
      expected: `exit within ${limit} s`,
      observed: `still running after ${limit} s: killed with everything it started`,
      hint: 'The program hung. Does it wait on a child that never exits, or read stdin?',
    });
  }
}
