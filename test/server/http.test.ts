// HTTP routes through fastify.inject: auth, notebooks, code, build, check stream.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { CheckEvent, CheckResult } from '../../common/check.ts';
import type { BuildResult, CodeView } from '../../common/api.ts';
import type { HomeView, Stage } from '../../common/notebook.ts';
import { startServer, TOKEN, type TestServer } from '../support/server.ts';

let s: TestServer;
const auth = { authorization: `Bearer ${TOKEN}` };
const json = { ...auth, 'content-type': 'application/json' };

before(async () => {
  s = await startServer({ listen: false });
});
after(async () => s.stop());

test('no token: pages get a help page, the API a 401', async () => {
  const page = await s.app.inject({ url: '/' });
  assert.equal(page.statusCode, 401);
  assert.match(page.body, /\?token=/);
  const api = await s.app.inject({ url: '/api/home' });
  assert.equal(api.statusCode, 401);
  assert.equal(api.json().code, 'LUX_UNAUTHORIZED');
  const wrong = await s.app.inject({ url: '/api/home', headers: { cookie: 'lux_token=nope' } });
  assert.equal(wrong.statusCode, 401);
});

test('?token= sets an HttpOnly cookie and redirects to the URL without it', async () => {
  const r = await s.app.inject({ url: `/stage/09-namespaces?token=${TOKEN}` });
  assert.equal(r.statusCode, 302);
  assert.equal(r.headers.location, '/stage/09-namespaces');
  assert.match(String(r.headers['set-cookie']), /lux_token=test-token-0123456789; Path=\/; HttpOnly; SameSite=Strict/);
  const withCookie = await s.app.inject({ url: '/api/home', headers: { cookie: `lux_token=${TOKEN}` } });
  assert.equal(withCookie.statusCode, 200);
});

test('a Host the lab does not serve is refused (DNS rebinding)', async () => {
  const r = await s.app.inject({ url: '/api/home', headers: { ...auth, host: 'evil.example:8080' } });
  assert.equal(r.statusCode, 421);
});

test('a cross-origin state change is refused even with the cookie', async () => {
  const r = await s.app.inject({ method: 'PUT', url: '/api/challenges/uts-container/code', headers: { ...json, origin: 'http://evil.example' }, payload: { code: 'x' } });
  assert.equal(r.statusCode, 403);
  assert.equal(r.json().code, 'LUX_BAD_ORIGIN');
});

test('home lists stages 9–15; stages without a notebook are "coming"', async () => {
  const home = (await s.app.inject({ url: '/api/home', headers: auth })).json() as HomeView;
  assert.deepEqual(home.stages.map((x) => x.stage), [9, 10, 11, 12, 13, 14, 15]);
  assert.equal(home.stages[0]!.slug, '09-namespaces');
  const withNotebook = home.stages.filter((x) => x.slug !== null).map((x) => x.stage);
  assert.deepEqual(withNotebook, [9, 10, 11]);
  assert.equal(home.stages[0]!.progress['5.5']?.status, 'not-tried');
  assert.deepEqual(home.notebookErrors, []);
});

test('a stage has one section per challenge, with typed cells and no solution code', async () => {
  const stage = (await s.app.inject({ url: '/api/stages/09-namespaces', headers: auth })).json() as Stage;
  assert.equal(stage.challenges.length, 8);
  const uts = stage.challenges.find((c) => c.id === 'uts-container')!;
  assert.deepEqual(uts.cells.map((c) => c.kind), ['text', 'go', 'terminal', 'check', 'diagram']);
  assert.doesNotMatch(JSON.stringify(stage), /Sethostname\(\[\]byte\(hostname\)\)/, 'no solution in the notebook');
  assert.equal((await s.app.inject({ url: '/api/stages/nope', headers: auth })).statusCode, 404);
});

test('code: starter on first use, autosave persists, reset brings the starter back', async () => {
  const first = (await s.app.inject({ url: '/api/challenges/uts-container/code', headers: auth })).json() as CodeView;
  assert.match(first.code, /not implemented/);
  assert.equal(first.savedAt, null);
  const saved = await s.app.inject({ method: 'PUT', url: '/api/challenges/uts-container/code', headers: json, payload: { code: 'package main\n// mine\nfunc main() {}\n' } });
  assert.equal(saved.statusCode, 200);
  assert.equal(readFileSync(`${s.workspace}/challenges/uts-container/main.go`, 'utf8'), 'package main\n// mine\nfunc main() {}\n');
  const again = (await s.app.inject({ url: '/api/challenges/uts-container/code', headers: auth })).json() as CodeView;
  assert.match(again.code, /\/\/ mine/);
  assert.ok(again.savedAt);
  const reset = (await s.app.inject({ method: 'POST', url: '/api/challenges/uts-container/reset', headers: json, payload: {} })).json() as CodeView;
  assert.match(reset.code, /not implemented/);
});

test('file APIs refuse anything that is not a challenge id', async () => {
  for (const id of ['..%2F..%2Fetc', '..', 'UTS', 'nope']) {
    const r = await s.app.inject({ url: `/api/challenges/${id}/code`, headers: auth });
    assert.ok([400, 404].includes(r.statusCode), `${id}: ${r.statusCode}`);
  }
  assert.ok(!existsSync(`${s.workspace}/etc`));
});

test('oversized code is refused, and nothing is overwritten', async () => {
  await s.app.inject({ method: 'PUT', url: '/api/challenges/uts-container/code', headers: json, payload: { code: 'package main\nfunc main() {}\n' } });
  const r = await s.app.inject({ method: 'PUT', url: '/api/challenges/uts-container/code', headers: json, payload: { code: 'x'.repeat(300 * 1024) } });
  assert.ok([400, 413].includes(r.statusCode), String(r.statusCode));
  assert.equal(readFileSync(`${s.workspace}/challenges/uts-container/main.go`, 'utf8'), 'package main\nfunc main() {}\n');
});

test('a compile error comes back as a diagnostic on its line', async () => {
  await s.app.inject({ method: 'PUT', url: '/api/challenges/uts-container/code', headers: json, payload: { code: 'package main\n\nfunc main() {\n\tundefinedThing()\n}\n' } });
  const b = (await s.app.inject({ method: 'POST', url: '/api/challenges/uts-container/build', headers: json, payload: {} })).json() as BuildResult;
  assert.equal(b.ok, false);
  assert.deepEqual(b.diagnostics, [{ file: 'main.go', line: 4, column: 2, message: 'undefined: undefinedThing' }]);
});

test('check streams NDJSON events and saves the result as progress', async () => {
  const solution = readFileSync('notebooks/09-namespaces/uts-container/solution.go', 'utf8');
  await s.app.inject({ method: 'PUT', url: '/api/challenges/uts-container/code', headers: json, payload: { code: solution } });
  const r = await s.app.inject({ method: 'POST', url: '/api/challenges/uts-container/check', headers: json, payload: {} });
  assert.equal(r.headers['content-type'], 'application/x-ndjson');
  const events = r.body.trim().split('\n').map((l) => JSON.parse(l) as CheckEvent);
  assert.ok(events.some((e) => e.type === 'start'));
  assert.ok(events.filter((e) => e.type === 'assertion').length >= 3);
  const end = events.at(-1)!;
  assert.equal(end.type, 'end');
  const result = (end as { result: CheckResult }).result;
  assert.equal(result.status, 'passed', JSON.stringify(result.assertions));
  assert.ok(result.diagram, 'the check cell gets the namespace picture it observed');
  const saved = (await s.app.inject({ url: '/api/challenges/uts-container/result', headers: auth })).json() as CheckResult;
  assert.equal(saved.status, 'passed');
  const home = (await s.app.inject({ url: '/api/home', headers: auth })).json() as HomeView;
  assert.equal(home.stages[0]!.progress['5.5']?.status, 'passed');
});

test('the namespace probe groups processes by namespace for all 7 types', async () => {
  const snap = (await s.app.inject({ url: '/api/probes/namespaces', headers: auth })).json();
  assert.deepEqual(Object.keys(snap.types).sort(), ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'user', 'uts']);
  for (const groups of Object.values(snap.types) as { host: boolean }[][]) assert.ok(groups.some((g) => g.host));
});
