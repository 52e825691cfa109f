// Real WebSocket terminal sessions: sharing, reconnect, flow control, Origin, no leaks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type WebSocket from 'ws';
import { FLOW, type ServerMessage } from '../../common/protocol.ts';
import { openTerminal, startServer, type TestServer } from '../support/server.ts';

let s: TestServer;
before(async () => {
  s = await startServer();
});
after(async () => s.stop());

/** Records what a client receives; acks like the browser unless told not to. */
function client(ws: WebSocket, opts: { ack?: boolean } = {}) {
  const decoder = new TextDecoder();
  const state = { text: '', bytes: 0, unacked: 0, messages: [] as ServerMessage[] };
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) {
      state.messages.push(JSON.parse(data.toString()) as ServerMessage);
      return;
    }
    state.bytes += data.length;
    state.text += decoder.decode(data, { stream: true });
    if (state.text.length > 200_000) state.text = state.text.slice(-100_000);
    state.unacked += data.length;
    if (opts.ack !== false && state.unacked >= FLOW.ackChunk) {
      ws.send(JSON.stringify({ type: 'ack', bytes: state.unacked }));
      state.unacked = 0;
    }
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    state,
    opened,
    send: (m: object) => ws.send(JSON.stringify(m)),
    async waitFor(re: RegExp, ms = 5000): Promise<void> {
      const end = Date.now() + ms;
      while (!re.test(state.text)) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${re}; got …${JSON.stringify(state.text.slice(-300))}`);
        await sleep(20);
      }
    },
    close: () => new Promise<void>((r) => (ws.readyState === ws.CLOSED ? r() : (ws.once('close', () => r()), ws.close()))),
  };
}

test('two clients share one shell: each sees what the other types', async () => {
  const a = client(openTerminal(s, 'uts-container'));
  const b = client(openTerminal(s, 'uts-container'));
  await Promise.all([a.opened, b.opened]);
  a.send({ type: 'input', data: 'echo shared-$((40+2))\r' });
  await a.waitFor(/shared-42/);
  await b.waitFor(/shared-42/);
  b.send({ type: 'input', data: 'echo from-b-$((1+1))\r' });
  await a.waitFor(/from-b-2/);
  await Promise.all([a.close(), b.close()]);
});

test('the shell runs in the challenge workspace with its bin/ on PATH', async () => {
  const a = client(openTerminal(s, 'uts-container'));
  await a.opened;
  a.send({ type: 'input', data: 'echo "cwd=$PWD path=${PATH%%:*}"\r' });
  await a.waitFor(new RegExp(`cwd=${s.workspace}/challenges/uts-container path=${s.workspace}/challenges/uts-container/bin`));
  await a.close();
});

test('reconnecting shows the current screen first, then live output', async () => {
  const a = client(openTerminal(s, 'uts-container'));
  await a.opened;
  a.send({ type: 'input', data: 'echo before-$((2*21))\r' });
  await a.waitFor(/before-42/);
  await a.close();
  const b = client(openTerminal(s, 'uts-container'));
  await b.opened;
  await b.waitFor(/before-42/); // from the screen snapshot
  assert.equal(b.state.messages[0]?.type, 'reset');
  await b.close();
});

test('resize reaches the pty, and the other clients are told', async () => {
  const a = client(openTerminal(s, 'uts-container'));
  const b = client(openTerminal(s, 'uts-container'));
  await Promise.all([a.opened, b.opened]);
  a.send({ type: 'resize', cols: 123, rows: 45 });
  await sleep(100);
  a.send({ type: 'input', data: 'echo "size=$(stty size)"\r' });
  await a.waitFor(/size=45 123/);
  assert.ok(b.state.messages.some((m) => m.type === 'resize' && m.cols === 123 && m.rows === 45));
  await Promise.all([a.close(), b.close()]);
});

test('UTF-8 split across chunks arrives as the bytes the program wrote', async () => {
  const a = client(openTerminal(s, 'uts-container'));
  await a.opened;
  a.send({ type: 'input', data: "printf 'x\\xe2\\x82'; sleep 0.2; printf '\\xac-euro\\n'\r" });
  await a.waitFor(/x€-euro/);
  await a.close();
});

test('flow control: a client that stops acking is not flooded, and Ctrl-C still works', async () => {
  const a = client(openTerminal(s, 'uts-container'), { ack: false });
  await a.opened;
  await sleep(300);
  a.send({ type: 'input', data: 'yes flood\r' });
  await a.waitFor(/flood/);
  await sleep(1000);
  const received = a.state.bytes;
  await sleep(500);
  // Paused at the high watermark: at most one more pty read (≤ 64 KiB) past it.
  assert.ok(received < FLOW.highWatermark + 70_000, `received ${received} bytes without acking`);
  assert.equal(a.state.bytes, received, 'nothing more arrives while unacknowledged');
  a.send({ type: 'input', data: '\x03' });
  a.send({ type: 'ack', bytes: a.state.bytes });
  a.send({ type: 'input', data: 'echo after-$((3*3))\r' });
  const end = Date.now() + 10_000;
  while (!/after-9/.test(a.state.text) && Date.now() < end) {
    a.send({ type: 'ack', bytes: a.state.bytes });
    await sleep(50);
  }
  assert.match(a.state.text, /after-9/);
  await a.close();
});

test('a slow client does not stall a fast one; it is resynced from the screen', async () => {
  const fast = client(openTerminal(s, 'uts-container'));
  const slow = client(openTerminal(s, 'uts-container'), { ack: false });
  await Promise.all([fast.opened, slow.opened]);
  fast.send({ type: 'input', data: 'for i in $(seq 1 4000); do echo line-$i-padding-padding-padding; done; echo done-$((5*5))\r' });
  await fast.waitFor(/done-25/, 15_000);
  assert.ok(slow.state.bytes < FLOW.highWatermark + 70_000, 'the slow one was not sent everything');
  slow.send({ type: 'ack', bytes: slow.state.bytes });
  await slow.waitFor(/done-25/); // the resync: a reset and the current screen
  assert.ok(slow.state.messages.filter((m) => m.type === 'reset').length >= 2);
  await Promise.all([fast.close(), slow.close()]);
});

test('a malformed message closes the socket with a protocol error', async () => {
  const ws = openTerminal(s, 'uts-container');
  const a = client(ws);
  await a.opened;
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  ws.send('{"type":"exec","cmd":"id"}');
  assert.equal(await closed, 1008);
});

test('an upgrade from another Origin, or without the token, is refused', async () => {
  const refusals: Record<string, string>[] = [{ origin: 'http://evil.example' }, { cookie: 'lux_token=wrong' }];
  for (const headers of refusals) {
    const ws = openTerminal(s, 'uts-container', headers);
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy(); // with this listener set, ws leaves the refused request to us
      });
      ws.once('open', () => resolve(101));
    });
    assert.ok(status === 403 || status === 401, `status ${status}`);
  }
});

test('closing a session ends the shell and everything it started: no process, no pty left', async () => {
  const a = client(openTerminal(s, 'uts-container'));
  await a.opened;
  a.send({ type: 'input', data: 'sleep 300 & setsid sleep 301 & echo started-$((7*6))\r' });
  await a.waitFor(/started-42/);
  const session = s.terminals.get('uts-container')!;
  const pids = await waitForPids(session, 3);
  assert.ok(pids.length >= 3, `shell and two sleeps: ${pids}`);
  const r = await fetch(`${s.url}/api/terminals/uts-container`, { method: 'DELETE', headers: { cookie: 'lux_token=test-token-0123456789', origin: s.url } });
  assert.equal(r.status, 204);
  await sleep(200);
  for (const pid of pids) assert.ok(!existsSync(`/proc/${pid}`) || /Z/.test(procState(pid)), `process ${pid} is gone`);
  assert.equal(s.terminals.get('uts-container'), undefined);
  await a.close();
});

async function waitForPids(session: { processes(): number[] }, n: number): Promise<number[]> {
  for (let i = 0; i < 100 && session.processes().length < n; i++) await sleep(20);
  return session.processes();
}

function procState(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? '';
  } catch {
    return 'gone';
  }
}
