// Workshop mode on the page (docs/workshop.md): who this page belongs to (GET /api/whoami),
// the instructor's position report, and the /ws/workshop event socket. Small and free of
// xterm: the home page loads it; the dock and the room (xterm, the board) are dynamic imports.
import type { BoardRow, ParticipantInfo, Position, Role, WhoAmI, WorkshopEvent } from '../../common/workshop.ts';
import { ApiFailure, getJson, sendJson } from './api.ts';

/** Reconnect /ws/workshop after an unexpected close: first after this long, doubling up to the max. */
const RECONNECT_FIRST_MS = 500;
const RECONNECT_FACTOR = 2;
const RECONNECT_MAX_MS = 15_000;
/** Closed for good: the workshop has ended (4401), this lab is not in workshop mode (4404), a protocol error (1008). */
const FATAL_CLOSE_CODES = new Set([1008, 4401, 4404]);

let who: WhoAmI = { role: 'learner' };

/** Ask the server at start-up (and again after joining). A revoked participant gets 'ended'. */
export async function loadWhoAmI(): Promise<WhoAmI | 'ended'> {
  try {
    who = await getJson<WhoAmI>('/api/whoami');
  } catch (e) {
    if (revoked(e)) return 'ended';
    // Offline, or a server without workshops: the page as it always was.
  }
  document.body.dataset.role = who.role;
  return who;
}

const revoked = (e: unknown) => e instanceof ApiFailure && e.code === 'LUX_REVOKED';

/** Whether the server says this participant's links were revoked (the workshop ended). */
async function wasRevoked(): Promise<boolean> {
  try {
    await getJson<WhoAmI>('/api/whoami');
    return false;
  } catch (e) {
    return revoked(e);
  }
}

export function whoami(): WhoAmI {
  return who;
}

export function role(): Role {
  return who.role;
}

export const isParticipant = (): boolean => who.role === 'participant';

let lastPosition = '';

/** The instructor's notebook page says which challenge it shows, for participants who follow. */
export function reportPosition(position: Position): void {
  if (who.role !== 'instructor' || !who.workshop || who.workshop.ended) return;
  const key = JSON.stringify(position);
  if (key === lastPosition) return;
  lastPosition = key;
  who.workshop.position = position;
  sendJson('POST', '/api/workshop/position', position).catch(() => {
    lastPosition = ''; // try again on the next move
  });
}

export function positionUrl(p: Position): string {
  return `/stage/${encodeURIComponent(p.slug)}${p.challenge ? `#${encodeURIComponent(p.challenge)}` : ''}`;
}

export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** /ws/workshop: events as they happen (position, keyboard, participants, board, ended), reconnecting with backoff. */
export class WorkshopSocket {
  private ws: WebSocket | null = null;
  private retryDelay = RECONNECT_FIRST_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(
    private readonly onEvent: (e: WorkshopEvent) => void,
    private readonly onState: (s: SocketState, detail?: string) => void = () => {},
  ) {
    this.connect();
  }

  close(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000);
  }

  private connect(): void {
    this.retryTimer = null;
    this.onState('connecting');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/ws/workshop`);
    this.ws = ws;
    ws.onopen = () => this.onState('open');
    ws.onmessage = (ev: MessageEvent<string>) => {
      if (ws !== this.ws) return;
      this.retryDelay = RECONNECT_FIRST_MS;
      this.onEvent(JSON.parse(ev.data) as WorkshopEvent);
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws || this.stopped) return;
      this.ws = null;
      if (FATAL_CLOSE_CODES.has(ev.code)) {
        this.stopped = true;
        this.onState('closed', ev.reason);
        if (ev.code === 4401) this.onEvent({ type: 'ended' });
        return;
      }
      void this.retryLater();
    };
  }

  private async retryLater(): Promise<void> {
    // A refused upgrade only shows as 1006: ask whether the links were revoked meanwhile.
    const ended = who.role === 'participant' && (await wasRevoked());
    if (this.stopped) return;
    if (ended) {
      this.stopped = true;
      this.onState('closed', 'the workshop has ended');
      this.onEvent({ type: 'ended' });
      return;
    }
    const inMs = this.retryDelay;
    this.retryDelay = Math.min(RECONNECT_MAX_MS, this.retryDelay * RECONNECT_FACTOR);
    this.onState('reconnecting', `retrying in ${Math.ceil(inMs / 1000)} s`);
    this.retryTimer = setTimeout(() => this.connect(), inMs);
  }
}

/** What the page knows of the workshop, kept current from /ws/workshop. */
export interface WorkshopLive {
  socket: SocketState;
  position: Position | null;
  keyboard: string | null;
  participants: ParticipantInfo[]; // the instructor's only
  board: BoardRow[]; // the instructor's only
  ended: boolean;
}

type Listener = (live: WorkshopLive, event: WorkshopEvent | null) => void;

/** One socket per page, whatever shows it (the dock on every page, the room on the home page). */
class WorkshopHub {
  private socket: WorkshopSocket | null = null;
  private readonly listeners = new Set<Listener>();
  live: WorkshopLive = { socket: 'closed', position: null, keyboard: null, participants: [], board: [], ended: false };

  start(): void {
    if (this.socket || !who.workshop) return;
    this.live = { ...this.live, position: who.workshop.position, keyboard: who.workshop.keyboard, ended: who.workshop.ended };
    if (this.live.ended) return;
    this.socket = new WorkshopSocket(
      (e) => this.apply(e),
      (s) => {
        this.live = { ...this.live, socket: s };
        this.notify(null);
      },
    );
  }

  /** Calls fn now with what is known, then on every change; returns the unsubscribe. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    fn(this.live, null);
    return () => this.listeners.delete(fn);
  }

  /** The instructor ended it from this page: do not wait for the socket to say so. */
  ended(): void {
    this.apply({ type: 'ended' });
  }

  private apply(e: WorkshopEvent): void {
    if (this.live.ended) return;
    switch (e.type) {
      case 'position':
        this.live = { ...this.live, position: e.position };
        break;
      case 'keyboard':
        this.live = { ...this.live, keyboard: e.holder };
        break;
      case 'participants':
        this.live = { ...this.live, participants: e.participants };
        break;
      case 'board':
        this.live = { ...this.live, board: e.board };
        break;
      case 'ended':
        this.live = { ...this.live, ended: true, keyboard: null };
        if (who.workshop) who.workshop.ended = true;
        this.socket?.close();
        break;
    }
    this.notify(e);
  }

  private notify(e: WorkshopEvent | null): void {
    for (const fn of [...this.listeners]) fn(this.live, e);
  }
}

export const workshopHub = new WorkshopHub();
