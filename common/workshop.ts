// Workshop mode (docs/workshop.md): roles, the follow position, the progress board, and the
// messages of /ws/workshop.

/** instructor: the lab's owner in workshop mode; learner: the owner otherwise; participant: joined by link. */
export type Role = 'instructor' | 'participant' | 'learner';

export interface WhoAmI {
  role: Role;
  participant?: { id: string; name: string };
  /** Present in workshop mode. */
  workshop?: WorkshopView;
}

export interface WorkshopView {
  ended: boolean;
  position: Position | null;
  keyboard: string | null; // participant id holding the shared terminal's keyboard
  /** Only for the instructor: the links to hand out. */
  links?: { instructor: string; participant: string };
}

export interface Position {
  slug: string;
  challenge: string | null;
}

export interface ParticipantInfo {
  id: string;
  name: string;
  connected: boolean;
}

/** One participant's check results as their own lab reported them. */
export interface BoardRow {
  name: string;
  results: Record<string, ProgressEntry>; // by curriculum number
}

/** What a participant's lab sends: nothing but this and the display name. */
export interface ProgressEntry {
  status: 'passed' | 'failed' | 'error' | 'unavailable';
  failing?: { id: string; title: string };
  at: string;
}

export interface ProgressReport extends ProgressEntry {
  name: string;
  number: string;
  challengeId: string;
}

export type WorkshopEvent =
  | { type: 'position'; position: Position | null }
  | { type: 'keyboard'; holder: string | null }
  | { type: 'participants'; participants: ParticipantInfo[] }
  | { type: 'board'; board: BoardRow[] }
  | { type: 'ended' };

export const WORKSHOP_LIMITS = {
  maxViewers: 100,
  maxNameLength: 40,
  maxParticipants: 200,
} as const;
