// Terminal sessions by id (a challenge id). A session outlives its clients, so a reload or a
// second tab finds the same shell; it ends on an explicit close, when idle too long with no
// client, or when the server closes.
import { SAFE_ENV } from '../../kernels/exec.ts';
import { TerminalSession } from './session.ts';

export interface SessionSpec {
  cwd: string;
  path: string[]; // folders put first on PATH (the challenge's bin/)
  title: string; // shown in the prompt
}

export class TerminalManager {
  private readonly sessions = new Map<string, TerminalSession>();
  private readonly idleTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly idleMs = 30 * 60_000) {}

  get(id: string): TerminalSession | undefined {
    return this.sessions.get(id);
  }

  /** The live session for id, or a new one (also when the old shell has exited). */
  open(id: string, spec: SessionSpec): TerminalSession {
    const existing = this.sessions.get(id);
    if (existing && !existing.exited) return existing;
    if (existing) void this.close(id);
    const session = new TerminalSession({
      cwd: spec.cwd,
      env: {
        ...SAFE_ENV,
        TERM: 'xterm-256color',
        COLORTERM: 'truecolor',
        PATH: [...spec.path, SAFE_ENV.PATH].join(':'),
        PS1: `\\[\\e[1;36m\\]${spec.title}\\[\\e[0m\\]:\\w# `,
      },
    });
    this.sessions.set(id, session);
    return session;
  }

  /** A client left: start the idle clock if it was the last. */
  released(id: string): void {
    const s = this.sessions.get(id);
    if (!s || s.clientCount > 0) return;
    clearTimeout(this.idleTimers.get(id));
    this.idleTimers.set(id, setTimeout(() => void this.close(id), this.idleMs).unref());
  }

  claimed(id: string): void {
    clearTimeout(this.idleTimers.get(id));
    this.idleTimers.delete(id);
  }

  async close(id: string): Promise<boolean> {
    const s = this.sessions.get(id);
    clearTimeout(this.idleTimers.get(id));
    this.idleTimers.delete(id);
    if (!s) return false;
    this.sessions.delete(id);
    await s.close();
    return true;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
  }

  pids(): number[] {
    return [...this.sessions.values()].map((s) => s.pid);
  }
}
