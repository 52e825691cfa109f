// Workshop mode: the instructor's shared terminal watched by the room, follow-along, the
// progress board — and, on a participant's own lab, where to report check results.
// Roles are enforced per route (auth.ts) and, for the shared terminal, per message.
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { Type, type Static } from '@sinclair/typebox';
import { WORKSHOP_LIMITS, type WhoAmI, type WorkshopEvent } from '../../common/workshop.ts';
import { Errors } from '../errors.ts';
import type { Lab } from '../lab.ts';
import type { TerminalManager } from '../terminal/manager.ts';
import { reportTarget, setReportTarget } from '../workshop/reporter.ts';
import type { Workshop } from '../workshop/state.ts';
import { PARTICIPANT_COOKIE } from './auth.ts';
import { FULL_CONTROL, serveTerminal } from './terminals.ts';

export const SHARED_TERMINAL = '__shared';

// Null before String in unions: Fastify's Ajv coerces types, and would turn null into "".
const Join = Type.Object({ name: Type.String({ minLength: 1, maxLength: WORKSHOP_LIMITS.maxNameLength }) });
const PositionBody = Type.Object({ slug: Type.String({ maxLength: 64 }), challenge: Type.Union([Type.Null(), Type.String({ maxLength: 64 })]) });
const KeyboardBody = Type.Object({ participant: Type.Union([Type.Null(), Type.String({ maxLength: 32 })]) });
const Progress = Type.Object({
  name: Type.String({ minLength: 1, maxLength: WORKSHOP_LIMITS.maxNameLength }),
  challengeId: Type.String({ maxLength: 64 }),
  number: Type.String({ pattern: '^\\d+\\.\\d+$' }),
  status: Type.Union([Type.Literal('passed'), Type.Literal('failed'), Type.Literal('error'), Type.Literal('unavailable')]),
  failing: Type.Optional(Type.Object({ id: Type.String({ maxLength: 64 }), title: Type.String({ maxLength: 300 }) })),
  at: Type.String({ maxLength: 40 }),
});
const ReportTo = Type.Object({ url: Type.String({ maxLength: 500 }), name: Type.String({ minLength: 1, maxLength: WORKSHOP_LIMITS.maxNameLength }) });

export interface WorkshopOptions {
  lab: Lab;
  terminals: TerminalManager;
  workshop?: Workshop;
  /** The links printed at start-up, shown to the instructor. */
  links?: { instructor: string; participant: string };
}

export default async function workshopRoutes(app: FastifyInstance, { lab, terminals, workshop, links }: WorkshopOptions): Promise<void> {
  const participants = { participants: true };
  let viewers = 0; // participants watching the shared terminal
  workshop?.setMaxListeners(0); // one 'event' listener per /ws/workshop socket, one 'ended' per viewer: no leak warning past 10
  const need = (): Workshop => {
    if (!workshop) throw new Errors.NO_WORKSHOP();
    return workshop;
  };

  app.get('/api/whoami', { config: participants }, async (req): Promise<WhoAmI> => {
    if (!workshop) return { role: req.role };
    return {
      role: req.role,
      ...(req.participant ? { participant: { id: req.participant.id, name: req.participant.name } } : {}),
      workshop: {
        ended: workshop.ended,
        position: workshop.position,
        keyboard: workshop.keyboard,
        ...(req.role === 'instructor' && links ? { links } : {}),
      },
    };
  });

  app.post<{ Body: Static<typeof Join> }>('/api/workshop/join', { config: participants, schema: { body: Join } }, async (req, reply) => {
    const p = need().join(req.body.name);
    reply.setCookie(PARTICIPANT_COOKIE, p.sessionKey, { path: '/', httpOnly: true, sameSite: 'strict' });
    return { id: p.id, name: p.name };
  });

  app.post<{ Body: Static<typeof PositionBody> }>('/api/workshop/position', { schema: { body: PositionBody } }, async (req) => {
    need().setPosition(req.body);
    return { ok: true };
  });

  app.post<{ Body: Static<typeof KeyboardBody> }>('/api/workshop/keyboard', { schema: { body: KeyboardBody } }, async (req) => {
    need().setKeyboard(req.body.participant);
    return { ok: true };
  });

  app.get('/api/workshop/board', async () => ({ participants: need().participantList(), board: need().boardRows() }));

  // From a participant's own lab (server to server, Bearer <participant token>).
  app.post<{ Body: Static<typeof Progress> }>('/api/workshop/progress', { config: participants, schema: { body: Progress } }, async (req) => {
    need().report(req.body);
    return { ok: true };
  });

  app.post('/api/workshop/end', async () => {
    need().end();
    await terminals.close(SHARED_TERMINAL);
    return { ok: true };
  });

  // On the participant's own lab: the workshop to report check results to.
  app.get('/api/workshop/report-to', async () => reportTarget(lab.workspace) ?? { url: null, name: null });
  app.put<{ Body: Static<typeof ReportTo> }>('/api/workshop/report-to', { schema: { body: ReportTo } }, async (req) => {
    try {
      setReportTarget(lab.workspace, req.body);
    } catch (err) {
      throw Object.assign(new Error((err as Error).message), { statusCode: 400, code: 'LUX_BAD_LINK' });
    }
    return reportTarget(lab.workspace);
  });
  app.delete('/api/workshop/report-to', async () => {
    setReportTarget(lab.workspace, null);
    return { url: null, name: null };
  });

  app.get('/ws/workshop', { websocket: true, config: participants }, (socket: WebSocket, req) => {
    const w = workshop;
    if (!w) return socket.close(4404, 'not in workshop mode');
    const send = (e: WorkshopEvent) => {
      // The board and the participant list are the instructor's business.
      if (req.role !== 'instructor' && (e.type === 'board' || e.type === 'participants')) return;
      socket.send(JSON.stringify(e));
      if (e.type === 'ended' && req.role === 'participant') socket.close(4401, 'the workshop has ended');
    };
    w.on('event', send);
    if (req.participant) w.connected(req.participant, 1);
    socket.on('message', () => socket.close(1008, 'this socket only listens'));
    socket.on('close', () => {
      w.off('event', send);
      if (req.participant) w.connected(req.participant, -1);
    });
    send({ type: 'position', position: w.position });
    send({ type: 'keyboard', holder: w.keyboard });
    if (req.role === 'instructor') {
      send({ type: 'participants', participants: w.participantList() });
      send({ type: 'board', board: w.boardRows() });
    }
  });

  // The instructor's shared terminal. A viewer's input is dropped per message unless the
  // instructor handed them the keyboard; viewers never resize or close it.
  app.get('/ws/shared', { websocket: true, config: participants }, (socket: WebSocket, req) => {
    const w = workshop;
    if (!w) return socket.close(4404, 'not in workshop mode');
    if (req.role === 'participant' && !req.participant) return socket.close(4403, 'join with a display name first');
    if (req.role === 'participant' && viewers >= w.maxViewers) return socket.close(4429, 'the room is full');
    const session = terminals.open(SHARED_TERMINAL, { cwd: lab.workspace.root, path: [], title: 'instructor' });
    terminals.claimed(SHARED_TERMINAL);
    const me = req.participant;
    if (me) viewers++; // the instructor's own sockets do not count against the room
    const policy = me ? { mayType: () => w.keyboard === me.id, mayResize: false, mayClose: false } : FULL_CONTROL;
    const onEnd = () => socket.close(4401, 'the workshop has ended');
    if (me) w.once('ended', onEnd);
    serveTerminal(socket, session, policy, {
      onClose: () => {
        if (me) viewers--;
        w.off('ended', onEnd);
        terminals.released(SHARED_TERMINAL);
      },
      close: () => void terminals.close(SHARED_TERMINAL),
    });
  });
}
