// The workshop benchmark's lab server, in a process of its own (forked by bench/workshop.ts
// with --expose-gc), so that its memory is the server's alone and the viewers' and the
// instructor's sockets do not share its event loop. Answers over IPC: memory (after a GC),
// CPU time, and the shared session's flow-control state per client. Loopback only; the
// workspace it is given is the parent's to remove.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from '../server/app.ts';
import { Lab } from '../server/lab.ts';
import { SHARED_TERMINAL } from '../server/plugins/workshop.ts';
import { Workshop } from '../server/workshop/state.ts';
import { BENCH_TOKEN, type ServerReply, type ServerRequest } from './workshop-ipc.ts';

/** What a session keeps per client (server/terminal/session.ts); private, read for this measurement only. */
interface AttachedView {
  unacked: number;
  missed: boolean;
  queue: unknown[] | null;
}

const send = (m: ServerReply) => process.send!(m);

async function main(): Promise<void> {
  const maxViewers = Number(process.argv[2] ?? 60);
  const workspace = mkdtempSync(join(process.argv[3] ?? '/tmp', 'workshop-ws-'));
  const workshop = new Workshop({ maxViewers });
  const { app, terminals } = await build({ lab: new Lab({ workspaceRoot: workspace }), token: BENCH_TOKEN, workshop });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await app.close(); // closes every terminal session: the shell and all it started
      rmSync(workspace, { recursive: true, force: true });
    })());

  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (m: ServerRequest) => {
    void (async () => {
      switch (m.type) {
        case 'memory':
          if (gc) for (let i = 0; i < 3; i++) gc(); // a few passes: weak refs and finalizers settle
          send({ id: m.id, type: 'memory', gc: Boolean(gc), usage: process.memoryUsage(), cpu: process.cpuUsage() });
          break;
        case 'flow': {
          const session = terminals.get(SHARED_TERMINAL) as unknown as { clients?: Map<unknown, AttachedView> } | undefined;
          const clients = [...(session?.clients?.values() ?? [])].map((a) => ({ unacked: a.unacked, missed: a.missed, queued: a.queue !== null }));
          const socketBuffered = [...app.websocketServer.clients].map((ws) => ws.bufferedAmount);
          send({ id: m.id, type: 'flow', clients, socketBuffered });
          break;
        }
        case 'stop':
          await stop();
          send({ id: m.id, type: 'stopped' });
          process.disconnect();
          break;
      }
    })();
  });
  // The parent went away (an error, Ctrl-C): clean up all the same.
  process.once('disconnect', () => void stop().then(() => process.exit(0)));
  process.once('SIGINT', () => void stop().then(() => process.exit(130))); // Ctrl-C reaches the whole process group
  process.once('SIGTERM', () => void stop().then(() => process.exit(143)));
  send({ type: 'ready', url, participantToken: workshop.participantToken! });
}

await main();
