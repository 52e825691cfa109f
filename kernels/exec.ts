// Run a program with a time limit in a jail of its own; capture stdout and stderr separately.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessJail } from './jail.ts';

export interface RunOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  signal?: AbortSignal;
  /** Bytes kept of each stream; the rest is dropped (a chatty binary must not eat memory). */
  maxOutput?: number;
}

export interface RunResult {
  command: string; // for messages: "netns create lxab12"
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface Started {
  pid: number;
  /** Resolves when the process exits (or is killed at the time limit). */
  done: Promise<RunResult>;
  stdout(): string;
  stderr(): string;
  /** Has the process exited (the jail may still be being emptied)? */
  exited(): boolean;
  /** Kill the process and everything it started, and wait until they are gone. */
  kill(): Promise<RunResult>;
}

export const SAFE_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  TERM: 'dumb',
};

export function start(file: string, args: string[], opts: RunOptions = {}): Started {
  const jail = ProcessJail.create('run');
  const argv = jail.wrap(file, args);
  const t0 = performance.now();
  const max = opts.maxOutput ?? 1 << 20;
  const child = spawn(argv.file, argv.args, {
    cwd: opts.cwd,
    env: opts.env ?? SAFE_ENV,
    detached: true, // own process group: a hung program is killed with everything it forked
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    if (stdout.length < max) stdout += d.slice(0, max - stdout.length);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < max) stderr += d.slice(0, max - stderr.length);
  });
  child.stdin.on('error', () => {}); // the program may exit before reading its input
  child.stdin.end(opts.input ?? '');

  let timedOut = false;
  const stop = () => jail.destroy(child.pid);
  const timer = opts.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        void stop();
      }, opts.timeoutMs)
    : undefined;
  const onAbort = () => void stop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const command = [file.split('/').pop(), ...args].join(' ');
  let hasExited = false;
  child.once('exit', () => (hasExited = true));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const done = new Promise<RunResult>((resolve) => {
    let finished = false;
    const finish = async (code: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const durationMs = performance.now() - t0;
      // The program has exited, but what it forked may live on (and hold its pipes open):
      // end it all with the jail, then collect the last output.
      await jail.destroy(child.pid);
      await Promise.race([closed, sleep(1000)]);
      resolve({ command, code, signal, stdout, stderr, timedOut, durationMs });
    };
    child.on('error', (err) => {
      stderr += String(err.message);
      void finish(127, null);
    });
    child.on('exit', (code, signal) => void finish(code, signal));
  });
  return {
    pid: child.pid ?? -1,
    done,
    stdout: () => stdout,
    stderr: () => stderr,
    exited: () => hasExited,
    kill: async () => {
      await stop();
      return done;
    },
  };
}

export function run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return start(file, args, opts).done;
}
