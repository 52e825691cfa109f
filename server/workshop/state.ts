// A workshop's state on the instructor's lab: the participant link, who joined, the follow
// position, who holds the shared terminal's keyboard, and the progress board.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { WORKSHOP_LIMITS, type BoardRow, type ParticipantInfo, type Position, type ProgressReport, type WorkshopEvent } from '../../common/workshop.ts';

export interface Participant {
  id: string;
  name: string;
  sessionKey: string; // the lux_p cookie
  sockets: number;
}

export function sameSecret(a: string | undefined | null, b: string | undefined | null): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Workshop extends EventEmitter<{ event: [WorkshopEvent]; ended: [] }> {
  /** null once the workshop has ended: every participant link and session is revoked. */
  participantToken: string | null = randomBytes(18).toString('hex');
  position: Position | null = null;
  keyboard: string | null = null;
  readonly maxViewers: number;
  private readonly participants = new Map<string, Participant>();
  private readonly board = new Map<string, BoardRow>();

  constructor(opts: { maxViewers?: number } = {}) {
    super();
    this.maxViewers = opts.maxViewers ?? WORKSHOP_LIMITS.maxViewers;
  }

  get ended(): boolean {
    return this.participantToken === null;
  }

  isParticipantToken(token: string | undefined): boolean {
    return sameSecret(token, this.participantToken);
  }

  join(name: string): Participant {
    if (this.ended) throw new Error('the workshop has ended');
    if (this.participants.size >= WORKSHOP_LIMITS.maxParticipants) throw new Error('the workshop is full');
    const p: Participant = { id: randomBytes(6).toString('hex'), name: cleanName(name), sessionKey: randomBytes(18).toString('hex'), sockets: 0 };
    this.participants.set(p.id, p);
    this.emitParticipants();
    return p;
  }

  bySession(key: string | undefined): Participant | undefined {
    if (!key || this.ended) return undefined;
    for (const p of this.participants.values()) if (sameSecret(p.sessionKey, key)) return p;
    return undefined;
  }

  connected(p: Participant, delta: 1 | -1): void {
    p.sockets += delta;
    this.emitParticipants();
  }

  participantList(): ParticipantInfo[] {
    return [...this.participants.values()].map((p) => ({ id: p.id, name: p.name, connected: p.sockets > 0 }));
  }

  setPosition(position: Position | null): void {
    this.position = position;
    this.emit('event', { type: 'position', position });
  }

  /** Hand the shared terminal's keyboard to a participant, or take it back (null). */
  setKeyboard(participantId: string | null): void {
    if (participantId !== null && !this.participants.has(participantId)) throw new Error(`no participant ${participantId}`);
    this.keyboard = participantId;
    this.emit('event', { type: 'keyboard', holder: participantId });
  }

  report(r: ProgressReport): void {
    const name = cleanName(r.name);
    const row = this.board.get(name) ?? { name, results: {} };
    row.results[r.number] = { status: r.status, at: r.at, ...(r.failing ? { failing: r.failing } : {}) };
    this.board.set(name, row);
    this.emit('event', { type: 'board', board: this.boardRows() });
  }

  boardRows(): BoardRow[] {
    return [...this.board.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** End the workshop: the links stop working and everyone connected is sent away. */
  end(): void {
    if (this.ended) return;
    this.participantToken = null;
    this.keyboard = null;
    this.participants.clear();
    this.emit('event', { type: 'ended' });
    this.emit('ended');
  }

  private emitParticipants(): void {
    this.emit('event', { type: 'participants', participants: this.participantList() });
  }
}

function cleanName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const n = name.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, WORKSHOP_LIMITS.maxNameLength);
  return n || 'anonymous';
}
