// Terminal sessions over WebSocket (protocol: common/protocol.ts). One session per challenge,
// shared by every client that attaches to it; in a workshop, the instructor's shared session
// too (server/plugins/workshop.ts), where what a client may do is decided per message.
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ClientMessage, type ServerMessage } from '../../common/protocol.ts';
import { Errors } from '../errors.ts';
import type { Lab } from '../lab.ts';
import type { TerminalManager } from '../terminal/manager.ts';
import type { TerminalSession } from '../terminal/session.ts';

const validMessage = TypeCompiler.Compile(ClientMessage);

export interface ClientPolicy {
  /** Asked for every input message: a viewer's keystrokes are dropped here, on the server. */
  mayType(): boolean;
  mayResize: boolean;
  mayClose: boolean;
}

export const FULL_CONTROL: ClientPolicy = { mayType: () => true, mayResize: true, mayClose: true };

/** Attach a socket to a session. Listeners go on first, before anything asynchronous. */
export function serveTerminal(socket: WebSocket, session: TerminalSession, policy: ClientPolicy, hooks: { onClose(): void; close(): void }): void {
  const client = {
    sendBytes: (data: Uint8Array) => socket.send(data, { binary: true }),
    sendMessage: (m: ServerMessage) => socket.send(JSON.stringify(m)),
  };
  socket.on('message', (raw, isBinary) => {
    let msg: unknown;
    try {
      msg = isBinary ? undefined : JSON.parse(raw.toString());
    } catch {
      /* fall through: not JSON */
    }
    if (!validMessage.Check(msg)) {
      socket.close(1008, 'malformed message'); // a protocol error: the client is broken
      return;
    }
    switch (msg.type) {
      case 'input':
        if (policy.mayType()) session.input(msg.data);
        break;
      case 'resize':
        if (policy.mayResize) session.resize(msg.cols, msg.rows, client);
        break;
      case 'ack':
        session.ack(client, msg.bytes);
        break;
      case 'close':
        if (policy.mayClose) hooks.close();
        break;
    }
  });
  socket.on('close', () => {
    session.detach(client);
    hooks.onClose();
  });
  session.attach(client);
}

export default async function terminals(app: FastifyInstance, { lab, terminals }: { lab: Lab; terminals: TerminalManager }): Promise<void> {
  app.get<{ Params: { id: string } }>('/ws/terminals/:id', { websocket: true }, (socket: WebSocket, req) => {
    let id: string;
    try {
      id = lab.challenge(req.params.id).challenge.id;
    } catch {
      socket.close(4404, 'unknown challenge');
      return;
    }
    lab.code(id); // the workspace folder must exist: it is the shell's working directory
    const session = terminals.open(id, { cwd: lab.workspace.challengeDir(id), path: [lab.workspace.binDir(id)], title: id });
    terminals.claimed(id);
    serveTerminal(socket, session, FULL_CONTROL, { onClose: () => terminals.released(id), close: () => void terminals.close(id) });
  });

  app.delete<{ Params: { id: string } }>('/api/terminals/:id', async (req, reply) => {
    if (!(await terminals.close(req.params.id))) throw new Errors.NO_TERMINAL(req.params.id);
    return reply.code(204).send();
  });
}
