// The workshop benchmark's viewers, in a process of their own (forked by bench/workshop.ts):
// participants who join by the participant link and watch /ws/shared acking like the browser
// (bench/terminal.ts BenchClient), and one stalled viewer that stops reading its socket right
// after it opens (never reads, never acks). Reports bytes received per viewer over IPC.
import WebSocket from 'ws';
import { BenchClient } from './terminal.ts';
import type { ViewersReply, ViewersRequest } from './workshop-ipc.ts';

const [url = '', participantToken = ''] = process.argv.slice(2);
const send = (m: ViewersReply) => process.send!(m);
const viewers: BenchClient[] = [];
let stalled: { ws: WebSocket; bytes: number } | null = null;
let joinedCount = 0;

/** Join as a participant (the participant link's token, then a display name): the lux_p cookie. */
async function join(name: string): Promise<string> {
  const r = await fetch(`${url}/api/workshop/join`, {
    method: 'POST',
    headers: { authorization: `Bearer ${participantToken}`, origin: url, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (!r.ok) throw new Error(`join ${name}: HTTP ${r.status} ${await r.text()}`);
  const session = /lux_p=([^;]+)/.exec(r.headers.get('set-cookie') ?? '')?.[1];
  if (!session) throw new Error(`join ${name}: no lux_p cookie`);
  return `lux_p=${session}`;
}

function sharedSocket(cookie: string): WebSocket {
  return new WebSocket(`${url.replace('http', 'ws')}/ws/shared`, { headers: { cookie, origin: url } });
}

async function handle(m: ViewersRequest): Promise<ViewersReply> {
  switch (m.type) {
    case 'join': {
      // Joined and connected a few at a time, as a room fills up (not one burst of 50 handshakes).
      const batch = 10;
      for (let i = 0; i < m.count; i += batch) {
        const made = await Promise.all(
          Array.from({ length: Math.min(batch, m.count - i) }, async () => {
            const c = new BenchClient(sharedSocket(await join(`viewer-${++joinedCount}`)));
            await c.opened;
            return c;
          }),
        );
        viewers.push(...made);
      }
      return { id: m.id, type: 'joined', viewers: viewers.length };
    }
    case 'stall': {
      const ws = sharedSocket(await join('stalled-viewer'));
      const s = { ws, bytes: 0 };
      ws.on('message', (d: Buffer) => (s.bytes += d.length));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      // Never read again: the TCP window fills, and only the server's flow control stands
      // between the pty and that socket. ws keeps its net.Socket private; paused here only.
      (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      stalled = s;
      return { id: m.id, type: 'stalled' };
    }
    case 'sample':
      return { id: m.id, type: 'sample', at: performance.now(), bytes: viewers.map((v) => v.bytes), resets: viewers.map((v) => v.resets), stalledBytes: stalled?.bytes ?? null };
    case 'stop':
      await closeAll();
      return { id: m.id, type: 'stopped' };
  }
}

async function closeAll(): Promise<void> {
  stalled?.ws.terminate();
  stalled = null;
  await Promise.all(viewers.splice(0).map((v) => v.close()));
}

process.on('message', (m: ViewersRequest) => {
  handle(m).then(
    (reply) => {
      send(reply);
      if (reply.type === 'stopped') process.disconnect(); // and exit, below
    },
    (e: unknown) => send({ id: m.id, type: 'error', message: e instanceof Error ? e.message : String(e) }),
  );
});
process.once('disconnect', () => void closeAll().then(() => process.exit(0)));
process.once('SIGINT', () => process.exit(130));
