// A terminal cell's session: xterm.js on one side, the lab's pty WebSocket on the other
// (protocol in common/protocol.ts). Loaded by dynamic import, so pages without a terminal
// never download xterm. The workshop's shared terminal (/ws/shared) is the same session with
// other options: a viewer never resizes the pty (it scales its font to the pty's size) and
// is read-only unless it holds the keyboard (the server drops a viewer's input anyway).
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { FLOW, type ClientMessage, type ServerMessage } from '../../common/protocol.ts';

/** Reconnect after an unexpected close: first after this long, then doubling up to the max. */
const RECONNECT_FIRST_MS = 500;
const RECONNECT_FACTOR = 2;
const RECONNECT_MAX_MS = 15_000;
/** The server closed for a reason retrying cannot fix: a malformed message (1008), an unknown
 * challenge or no workshop (4404), the workshop has ended (4401), not joined yet (4403). */
const FATAL_CLOSE_CODES = new Set([1008, 4404, 4401, 4403]);
const FONT_SIZE = 14;
/** A viewer shrinks its font to show the whole width of the pty, down to this (then its box scrolls). */
const VIEWER_MIN_FONT_SIZE = 10;
/** The server refuses bigger input messages (ClientMessage.input maxLength); pastes are split. */
const INPUT_CHUNK_CHARS = 8 * 1024;

// xterm's default palette is made for black; on the light page its cyan prompt is unreadable.
const LIGHT_THEME = {
  background: '#fbfbfa',
  foreground: '#1f2328',
  cursor: '#1f2328',
  cursorAccent: '#fbfbfa',
  selectionBackground: '#b6d3f7',
  black: '#1f2328',
  red: '#b42318',
  green: '#1a7f37',
  yellow: '#8a6100',
  blue: '#0b57d0',
  magenta: '#8e24aa',
  cyan: '#0b6e79',
  white: '#6e7781',
  brightBlack: '#57606a',
  brightRed: '#d1242f',
  brightGreen: '#1f883d',
  brightYellow: '#9a6700',
  brightBlue: '#0969da',
  brightMagenta: '#a626a4',
  brightCyan: '#0a7f8c',
  brightWhite: '#8c959f',
};
const DARK_THEME = { background: '#111418', foreground: '#d8dee9', cursor: '#d8dee9', selectionBackground: '#35507a' };

export type TerminalState =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'reconnecting'; inMs: number; reason?: string }
  | { kind: 'exited'; code: number | null; signal: number | null }
  | { kind: 'failed'; reason: string };

export interface TerminalOptions {
  /** The WebSocket path (default /ws/terminals/<sessionId>). */
  path?: string;
  /** Watching someone else's pty: never send resize; draw at the pty's size, font scaled to fit. */
  viewer?: boolean;
  /** Keystrokes are not sent (see setReadOnly). */
  readOnly?: boolean;
  fontSize?: number;
}

export class TerminalSession {
  readonly term: Terminal;
  private readonly fitAddon = new FitAddon();
  private readonly resizeObserver: ResizeObserver;
  private ws: WebSocket | null = null;
  private renderedSinceAck = 0;
  private retryDelay = RECONNECT_FIRST_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private sentSize: { cols: number; rows: number } | null = null;
  private exited = false;
  private disposed = false;
  /** After a `reset` the screen snapshot is drawn at the pty's size; fit only once it is. */
  private awaitingScreen = false;

  private readOnly: boolean;
  private readonly fontSize: number;

  constructor(
    host: HTMLElement,
    private readonly sessionId: string,
    private readonly onState: (s: TerminalState) => void,
    private readonly opts: TerminalOptions = {},
  ) {
    const dark = matchMedia('(prefers-color-scheme: dark)').matches;
    this.readOnly = opts.readOnly ?? false;
    this.fontSize = opts.fontSize ?? FONT_SIZE;
    this.term = new Terminal({
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: this.fontSize,
      cursorBlink: !this.readOnly,
      disableStdin: this.readOnly,
      scrollback: 5000,
      theme: dark ? DARK_THEME : LIGHT_THEME,
    });
    this.term.loadAddon(this.fitAddon);
    this.term.open(host);
    this.term.onData((data) => {
      if (this.readOnly) return;
      for (let i = 0; i < data.length; i += INPUT_CHUNK_CHARS) this.send({ type: 'input', data: data.slice(i, i + INPUT_CHUNK_CHARS) });
    });
    // The cell is hidden while another challenge is shown; it is measured again when it reappears.
    let frame = 0;
    this.resizeObserver = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => this.fitAndReport());
    });
    this.resizeObserver.observe(host);
    this.connect();
  }

  /** End the shell on the server (it may have exited already) and start a fresh one. */
  async restart(): Promise<void> {
    this.closeSocket();
    await fetch(`/api/terminals/${encodeURIComponent(this.sessionId)}`, { method: 'DELETE' }).catch(() => {});
    if (this.disposed) return;
    this.exited = false;
    this.term.reset();
    this.retryDelay = RECONNECT_FIRST_MS;
    this.connect();
  }

  focus(): void {
    this.term.focus();
  }

  /** Read-only: keystrokes are not sent (a viewer handed the keyboard becomes writable). */
  setReadOnly(readOnly: boolean): void {
    this.readOnly = readOnly;
    this.term.options.disableStdin = readOnly;
    this.term.options.cursorBlink = !readOnly;
  }

  /** Connect again now (after the shell exited, or to retry without waiting for the backoff). */
  reconnect(): void {
    if (this.disposed) return;
    this.closeSocket();
    this.exited = false;
    this.term.reset();
    this.retryDelay = RECONNECT_FIRST_MS;
    this.connect();
  }

  dispose(): void {
    this.disposed = true;
    this.closeSocket();
    this.resizeObserver.disconnect();
    this.term.dispose();
  }

  private connect(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.onState({ kind: 'connecting' });
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const path = this.opts.path ?? `/ws/terminals/${encodeURIComponent(this.sessionId)}`;
    const ws = new WebSocket(`${scheme}//${location.host}${path}`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.renderedSinceAck = 0; // acks count per connection
    this.sentSize = null;

    ws.onopen = () => {
      this.onState({ kind: 'open' });
      this.fitAndReport();
    };
    ws.onmessage = (ev: MessageEvent<ArrayBuffer | string>) => {
      if (ws !== this.ws) return;
      this.retryDelay = RECONNECT_FIRST_MS; // the server is talking to us: a later drop starts over
      if (typeof ev.data === 'string') this.onServerMessage(JSON.parse(ev.data) as ServerMessage);
      else this.onOutput(ws, new Uint8Array(ev.data));
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (this.disposed || this.exited) return;
      if (FATAL_CLOSE_CODES.has(ev.code)) {
        this.onState({ kind: 'failed', reason: ev.reason || `closed with code ${ev.code}` });
        return;
      }
      const inMs = this.retryDelay;
      this.retryDelay = Math.min(RECONNECT_MAX_MS, this.retryDelay * RECONNECT_FACTOR);
      this.onState({ kind: 'reconnecting', inMs, ...(ev.reason ? { reason: ev.reason } : {}) });
      this.retryTimer = setTimeout(() => this.connect(), inMs);
    };
  }

  private onOutput(ws: WebSocket, bytes: Uint8Array): void {
    // Acknowledge only what xterm has actually rendered, so a flood (`yes`) is paced by the
    // page's drawing speed rather than piling up in the browser's memory.
    const isScreen = this.awaitingScreen;
    this.awaitingScreen = false;
    this.term.write(bytes, () => {
      if (ws !== this.ws) return;
      if (isScreen) this.fitAndReport();
      this.renderedSinceAck += bytes.length;
      if (this.renderedSinceAck >= FLOW.ackChunk) {
        this.send({ type: 'ack', bytes: this.renderedSinceAck });
        this.renderedSinceAck = 0;
      }
    });
  }

  private onServerMessage(msg: ServerMessage): void {
    switch (msg.type) {
      case 'reset':
        // The next binary frame is the whole current screen, serialized at the pty's size:
        // draw it at that size, then fit to our box and tell the pty if that differs (the
        // shell then redraws for this window).
        this.term.reset();
        if (this.term.cols !== msg.cols || this.term.rows !== msg.rows) this.term.resize(msg.cols, msg.rows);
        this.sentSize = { cols: msg.cols, rows: msg.rows };
        this.awaitingScreen = true;
        this.fitFont();
        break;
      case 'resize':
        // Another window resized the shared pty: follow it so its output lines up.
        if (this.term.cols !== msg.cols || this.term.rows !== msg.rows) this.term.resize(msg.cols, msg.rows);
        this.sentSize = { cols: msg.cols, rows: msg.rows };
        this.fitFont();
        break;
      case 'exit':
        this.exited = true;
        this.term.write('\r\n\x1b[2m[process exited]\x1b[0m\r\n');
        this.onState({ kind: 'exited', code: msg.code, signal: msg.signal });
        break;
    }
  }

  /**
   * A viewer keeps the pty's size (its output only lines up at that size) and picks the
   * biggest font, up to the usual one, that shows every column in its box.
   */
  private fitFont(): void {
    if (!this.opts.viewer) return;
    for (let i = 0; i < 4; i++) {
      const dims = this.fitAddon.proposeDimensions(); // columns that fit at the current font
      if (!dims || !Number.isFinite(dims.cols) || dims.cols < 2) return; // hidden
      const size = this.term.options.fontSize ?? this.fontSize;
      const wanted = Math.max(VIEWER_MIN_FONT_SIZE, Math.min(this.fontSize, Math.floor((size * dims.cols) / this.term.cols)));
      if (wanted === size) return;
      this.term.options.fontSize = wanted;
    }
  }

  /** Fit xterm to its box and tell the pty when that changes the size. */
  private fitAndReport(): void {
    if (this.opts.viewer) return this.fitFont();
    if (this.awaitingScreen) return; // done once the snapshot is drawn
    const dims = this.fitAddon.proposeDimensions();
    if (!dims || !Number.isFinite(dims.cols) || !Number.isFinite(dims.rows) || dims.cols < 2 || dims.rows < 1) return; // hidden
    const cols = Math.min(1000, dims.cols);
    const rows = Math.min(500, dims.rows);
    if (cols !== this.term.cols || rows !== this.term.rows) this.term.resize(cols, rows);
    if (this.sentSize?.cols === cols && this.sentSize.rows === rows) return;
    if (this.send({ type: 'resize', cols, rows })) this.sentSize = { cols, rows };
  }

  private send(msg: ClientMessage): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  private closeSocket(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    this.ws = null; // its close event is then ours, not unexpected
    ws?.close(1000);
  }
}
