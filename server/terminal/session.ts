// A terminal session: one bash in a pty, any number of attached clients. A headless xterm
// keeps the current screen so a new or reconnecting client starts from it, and each client
// is flow-controlled on its own (see FLOW in common/protocol.ts).
import * as pty from 'node-pty';
import xtermHeadless from '@xterm/headless';
import serializeAddon from '@xterm/addon-serialize';
import { FLOW, type ServerMessage } from '../../common/protocol.ts';
import { ProcessJail } from '../../kernels/jail.ts';

// Both packages are CommonJS bundles: named ESM imports do not resolve under Node.
const { Terminal } = xtermHeadless;
const { SerializeAddon } = serializeAddon;

export interface TerminalClient {
  sendBytes(data: Uint8Array): void;
  sendMessage(message: ServerMessage): void;
}

interface Attached {
  client: TerminalClient;
  unacked: number;
  /** Output was skipped while this client was behind: resync it from the screen. */
  missed: boolean;
  /** null: live; an array: output queued while its screen snapshot is being taken. */
  queue: Uint8Array[] | null;
}

export interface SessionOptions {
  cwd: string;
  env: Record<string, string>;
  cols?: number;
  rows?: number;
  scrollback?: number;
}

export class TerminalSession {
  private readonly pty: pty.IPty;
  private readonly screen: InstanceType<typeof Terminal>;
  private readonly serializer = new SerializeAddon();
  private readonly jail = ProcessJail.create('term');
  private readonly clients = new Map<TerminalClient, Attached>();
  private paused = false;
  exited: { code: number | null; signal: number | null } | null = null;
  private closed = false;
  private readonly exitWaiters: (() => void)[] = [];

  constructor(opts: SessionOptions) {
    const cols = opts.cols ?? 100;
    const rows = opts.rows ?? 30;
    this.screen = new Terminal({ cols, rows, scrollback: opts.scrollback ?? 1000, allowProposedApi: true });
    this.screen.loadAddon(this.serializer);
    const shell = this.jail.wrap('/bin/bash', ['--noprofile', '--norc', '-i']);
    this.pty = pty.spawn(shell.file, shell.args, {
      name: 'xterm-256color',
      cols,
      rows,
      cwd: opts.cwd,
      env: opts.env,
      encoding: null, // raw bytes: a UTF-8 character split across reads is decoded by xterm.js
    });
    this.pty.onData((data: string | Buffer) => this.onOutput(typeof data === 'string' ? Buffer.from(data) : data));
    this.pty.onExit(({ exitCode, signal }) => {
      this.exited = { code: exitCode, signal: signal ?? null };
      for (const a of this.clients.values()) a.client.sendMessage({ type: 'exit', ...this.exited });
      for (const w of this.exitWaiters.splice(0)) w();
    });
  }

  get pid(): number {
    return this.pty.pid;
  }

  /** Every process of this session: the shell and all it started, however it detached. */
  processes(): number[] {
    const pids = this.jail.pids();
    return pids.length ? pids : [this.pty.pid];
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get size(): { cols: number; rows: number } {
    return { cols: this.screen.cols, rows: this.screen.rows };
  }

  attach(client: TerminalClient): void {
    const a: Attached = { client, unacked: 0, missed: false, queue: null };
    this.clients.set(client, a);
    this.sendScreen(a);
  }

  detach(client: TerminalClient): void {
    this.clients.delete(client);
    this.updatePause();
  }

  input(data: string): void {
    if (!this.exited) this.pty.write(data); // always, even while paused: Ctrl-C must get through
  }

  resize(cols: number, rows: number, from?: TerminalClient): void {
    if (this.exited) return;
    this.pty.resize(cols, rows);
    this.screen.resize(cols, rows);
    for (const a of this.clients.values()) if (a.client !== from) a.client.sendMessage({ type: 'resize', cols, rows });
  }

  ack(client: TerminalClient, bytes: number): void {
    const a = this.clients.get(client);
    if (!a) return;
    a.unacked = Math.max(0, a.unacked - bytes);
    if (a.unacked < FLOW.lowWatermark && a.missed) this.sendScreen(a);
    this.updatePause();
  }

  /** End the shell and everything started from it, close the pty, and wait for it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const exited = this.exited ? Promise.resolve() : new Promise<void>((r) => this.exitWaiters.push(r));
    try {
      this.pty.kill('SIGHUP');
    } catch {
      /* already gone */
    }
    await this.jail.destroy();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    if (!this.exited) {
      try {
        this.pty.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
    this.screen.dispose();
  }

  private onOutput(data: Buffer): void {
    this.screen.write(data);
    for (const a of this.clients.values()) {
      if (a.queue) a.queue.push(data);
      else if (a.unacked >= FLOW.highWatermark) a.missed = true; // dropped behind: resynced on ack
      else this.send(a, data);
    }
    this.updatePause();
  }

  private send(a: Attached, data: Uint8Array): void {
    a.unacked += data.byteLength;
    a.client.sendBytes(data);
  }

  /**
   * Send the current screen. The empty write's callback runs after xterm has parsed all
   * output written before it and before any written after, so the snapshot plus the queued
   * output is exactly the stream, nothing lost or doubled.
   */
  private sendScreen(a: Attached): void {
    a.queue = [];
    a.missed = false;
    this.screen.write('', () => {
      if (!this.clients.has(a.client)) return;
      a.client.sendMessage({ type: 'reset', ...this.size });
      this.send(a, Buffer.from(this.serializer.serialize()));
      const queued = a.queue ?? [];
      a.queue = null;
      for (const d of queued) this.send(a, d);
      if (this.exited) a.client.sendMessage({ type: 'exit', ...this.exited });
    });
  }

  /** Pause the pty only when every client is behind: one slow viewer must not stall the rest. */
  private updatePause(): void {
    const all = [...this.clients.values()];
    const allBehind = all.length > 0 && all.every((a) => a.unacked >= FLOW.highWatermark);
    const anyCaughtUp = all.length === 0 || all.some((a) => a.unacked < FLOW.lowWatermark);
    if (allBehind && !this.paused && !this.exited) {
      this.pty.pause();
      this.paused = true;
    } else if (this.paused && anyCaughtUp) {
      this.pty.resume();
      this.paused = false;
    }
  }
}
