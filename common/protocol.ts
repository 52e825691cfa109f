// The terminal WebSocket protocol, shared by server/plugins/terminals.ts and client/src/terminal.ts.
// Server -> client: binary frames are raw pty bytes (UTF-8 may be split across frames; xterm.js
// decodes it); text frames are JSON ServerMessage. Client -> server: text frames, JSON ClientMessage.
import { Type, type Static } from '@sinclair/typebox';

/** Flow control, after VS Code's terminal: the client acknowledges bytes it has rendered. */
export const FLOW = {
  /** Stop sending to a client (or pause the pty) once this many bytes are unacknowledged. */
  highWatermark: 100_000,
  /** Resume below this. */
  lowWatermark: 5_000,
  /** The client sends an ack every time it has rendered this many bytes. */
  ackChunk: 5_000,
} as const;

export const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

export const ClientMessage = Type.Union([
  Type.Object({ type: Type.Literal('input'), data: Type.String({ maxLength: 16 * 1024 }) }),
  Type.Object({
    type: Type.Literal('resize'),
    cols: Type.Integer({ minimum: 2, maximum: 1000 }),
    rows: Type.Integer({ minimum: 1, maximum: 500 }),
  }),
  Type.Object({ type: Type.Literal('ack'), bytes: Type.Integer({ minimum: 0, maximum: 1 << 30 }) }),
  Type.Object({ type: Type.Literal('close') }),
]);
export type ClientMessage = Static<typeof ClientMessage>;

export type ServerMessage =
  /** The client must clear its screen; the next binary frame is the current screen. */
  | { type: 'reset'; cols: number; rows: number }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'exit'; code: number | null; signal: number | null };
