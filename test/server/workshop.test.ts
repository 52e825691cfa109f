// Workshop roles, for real: an instructor's lab in workshop mode, participants joining by link,
// the shared terminal (viewer input dropped per message), follow, the board, revocation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { build, type LabServer } from '../../server/app.ts';
import { Lab } from '../../server/lab.ts';
import { Workshop } from '../../server/workshop/state.ts';
import type { WorkshopEvent } from '../../common/workshop.ts';
import { TOKEN } from '../support/server.ts';

let s: LabServer & { url: string; workspace: string };
let workshop: Workshop;
let ptoken: string;

before(async () => {
  const workspace = mkdtempSync('/tmp/luxlab-test-ws-');
  workshop = new Workshop({ maxViewers: 3 });
  ptoken = workshop.participantToken!;
  const server = await build({ lab: new Lab({ workspaceRoot: workspace }), token: TOKEN, workshop });
  const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  s = { ...server, url, workspace };
});
after(async () => {
  await s.app.close();
  rmSync(s.workspace, { recursive: true, force: true });
});

const instructor = { cookie: `lux_token=${TOKEN}` };
const http = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(`${s.url}${path}`, { ...init, headers: { origin: s.url, 'content-type': 'application/json', ...init.headers } });

async function join(name: string): Promise<{ cookie: string; id: string }> {
  const r = await http('/api/workshop/join', { method: 'POST', headers: { cookie: `lux_join=${ptoken}` }, body: JSON.stringify({ name }) });
  assert.equal(r.status, 200, await r.clone().text());
  const session = /lux_p=([^;]+)/.exec(r.headers.get('set-cookie') ?? '')![1]!;
  return { cookie: `lux_p=${session}`, id: ((await r.json()) as { id: string }).id };
}

function socket(path: string, cookie: string, origin = s.url) {
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}${path}`, { headers: { cookie, origin } });
  const state = { text: '', messages: [] as unknown[], closed: null as number | null };
  const decoder = new TextDecoder();
  ws.on('message', (d: Buffer, binary) => {
    if (binary) state.text += decoder.decode(d, { stream: true });
    else state.messages.push(JSON.parse(d.toString()));
  });
  ws.on('close', (code) => (state.closed = code));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`HTTP ${res.statusCode}`));
    });
  });
  const until = async (pred: () => boolean, what: string, ms = 5000) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen …${JSON.stringify(state.text.slice(-200))}`);
      await sleep(20);
    }
  };
  return { ws, state, opened, until, send: (m: object) => ws.send(JSON.stringify(m)) };
}

test('the participant link sets a join cookie and leads to /join; a wrong link is refused', async () => {
  const r = await fetch(`${s.url}/?token=${ptoken}`, { redirect: 'manual' });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), '/join');
  assert.match(r.headers.get('set-cookie') ?? '', /lux_join=/);
  assert.equal((await fetch(`${s.url}/api/whoami?token=nope`)).status, 401);
});

test('a participant reads notebooks but cannot reach files, builds, checks, solutions or terminals', async () => {
  const p = await join('Ada');
  const who = await (await http('/api/whoami', { headers: { cookie: p.cookie } })).json();
  assert.equal(who.role, 'participant');
  assert.equal(who.participant.name, 'Ada');
  assert.equal((await http('/api/stages/09-namespaces', { headers: { cookie: p.cookie } })).status, 200);
  const forbidden: [string, string][] = [
    ['GET', '/api/challenges/uts-container/code'],
    ['GET', '/api/challenges/uts-container/solution'],
    ['POST', '/api/challenges/uts-container/build'],
    ['POST', '/api/challenges/uts-container/check'],
    ['GET', '/api/probes/namespaces'],
    ['GET', '/api/workshop/board'],
    ['POST', '/api/workshop/keyboard'],
    ['POST', '/api/workshop/end'],
    ['DELETE', '/api/terminals/uts-container'],
  ];
  for (const [method, path] of forbidden) {
    const r = await http(path, { method, headers: { cookie: p.cookie }, body: method === 'GET' || method === 'DELETE' ? undefined : '{}' });
    assert.equal(r.status, 403, `${method} ${path}: ${r.status}`);
  }
  await assert.rejects(socket('/ws/terminals/uts-container', p.cookie).opened, /HTTP 403/, 'no terminal of its own on the instructor machine');
});

test('the shared terminal: a late joiner sees the screen; viewer input is dropped until handed the keyboard', async () => {
  const inst = socket('/ws/shared', instructor.cookie);
  await inst.opened;
  inst.send({ type: 'input', data: 'echo before-join-$((6*7))\r' });
  await inst.until(() => inst.state.text.includes('before-join-42'), 'instructor output');

  const p = await join('Grace');
  const viewer = socket('/ws/shared', p.cookie);
  await viewer.opened;
  await viewer.until(() => viewer.state.text.includes('before-join-42'), 'the current screen for a late joiner');

  viewer.send({ type: 'input', data: 'echo viewer-typed-$((1+1))\r' });
  viewer.send({ type: 'resize', cols: 20, rows: 5 });
  await sleep(400);
  assert.doesNotMatch(inst.state.text, /viewer-typed-2/, 'a viewer cannot type');
  assert.equal(s.terminals.get('__shared')!.size.cols, 100, 'nor resize');

  await http('/api/workshop/keyboard', { method: 'POST', headers: instructor, body: JSON.stringify({ participant: p.id }) });
  viewer.send({ type: 'input', data: 'echo handed-$((2+2))\r' });
  await inst.until(() => inst.state.text.includes('handed-4'), 'input from the keyboard holder');
  await http('/api/workshop/keyboard', { method: 'POST', headers: instructor, body: JSON.stringify({ participant: null }) });
  viewer.send({ type: 'input', data: 'echo taken-back-$((3+3))\r' });
  await sleep(400);
  assert.doesNotMatch(inst.state.text, /taken-back-6/);
  viewer.ws.close();
  inst.ws.close();
});

test('the shared terminal refuses another Origin', async () => {
  await assert.rejects(socket('/ws/shared', instructor.cookie, 'http://evil.example').opened, /HTTP 403/);
});

test('follow: participants hear where the instructor is; only the instructor sees the board', async () => {
  const p = await join('Linus');
  const follower = socket('/ws/workshop', p.cookie);
  const teacher = socket('/ws/workshop', instructor.cookie);
  await Promise.all([follower.opened, teacher.opened]);
  await http('/api/workshop/position', { method: 'POST', headers: instructor, body: JSON.stringify({ slug: '09-namespaces', challenge: 'mntns' }) });
  await follower.until(() => follower.state.messages.some((m) => (m as WorkshopEvent).type === 'position' && JSON.stringify(m).includes('mntns')), 'the position');
  await teacher.until(() => teacher.state.messages.some((m) => (m as WorkshopEvent).type === 'participants'), 'the participant list');
  assert.ok(!follower.state.messages.some((m) => ['board', 'participants'].includes((m as WorkshopEvent).type)));
  follower.ws.close();
  teacher.ws.close();
});

test("progress reported by a participant's own lab appears on the instructor's board", async () => {
  const own = new Lab({ workspaceRoot: mkdtempSync('/tmp/luxlab-test-ws-') });
  try {
    const ownServer = await build({ lab: own, token: 'own-token-123456' });
    const put = await ownServer.app.inject({
      method: 'PUT',
      url: '/api/workshop/report-to',
      headers: { authorization: 'Bearer own-token-123456', 'content-type': 'application/json' },
      payload: { url: `${s.url}/join?token=${ptoken}`, name: 'Margaret' },
    });
    assert.equal(put.statusCode, 200, put.body);
    const teacher = socket('/ws/workshop', instructor.cookie);
    await teacher.opened;
    const result = await own.check('uts-container'); // the starter: fails on command-started
    assert.equal(result.status, 'failed');
    await teacher.until(() => teacher.state.messages.some((m) => JSON.stringify(m).includes('Margaret')), 'the board update');
    const board = await (await http('/api/workshop/board', { headers: instructor })).json();
    const row = board.board.find((r: { name: string }) => r.name === 'Margaret');
    assert.equal(row.results['5.5'].status, 'failed');
    assert.equal(row.results['5.5'].failing.id, 'command-started');
    assert.deepEqual(Object.keys(row.results['5.5']).sort(), ['at', 'failing', 'status'], 'nothing but results is sent');
    teacher.ws.close();
    await ownServer.app.close();
  } finally {
    rmSync(own.workspace.root, { recursive: true, force: true });
  }
});

test('viewers beyond the configured maximum are refused', async () => {
  const viewers = [];
  for (const name of ['v1', 'v2', 'v3', 'v4', 'v5']) {
    const p = await join(name);
    const v = socket('/ws/shared', p.cookie);
    await v.opened;
    viewers.push(v);
  }
  await sleep(200);
  assert.ok(viewers.some((v) => v.state.closed === 4429), 'the room is full');
  for (const v of viewers) v.ws.close();
});

test('ending the workshop revokes the links and sends participants away', async () => {
  const p = await join('Barbara');
  const viewer = socket('/ws/shared', p.cookie);
  await viewer.opened;
  const r = await http('/api/workshop/end', { method: 'POST', headers: instructor, body: '{}' });
  assert.equal(r.status, 200);
  await viewer.until(() => viewer.state.closed !== null, 'the viewer to be closed');
  assert.equal((await http('/api/whoami', { headers: { cookie: p.cookie } })).status, 401);
  assert.equal((await fetch(`${s.url}/api/whoami?token=${ptoken}`)).status, 401);
  const progress = await http('/api/workshop/progress', { method: 'POST', headers: { authorization: `Bearer ${ptoken}` }, body: '{}' });
  assert.equal(progress.status, 401, 'a revoked link cannot report either');
  assert.equal((await http('/api/whoami', { headers: instructor })).status, 200, 'the instructor keeps the lab');
});
