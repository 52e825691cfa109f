// `lux` as a user runs it: list, check with --bin and --json, exit codes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { buildGoFile } from '../support/fixtures.ts';

const workspace = mkdtempSync('/tmp/luxlab-cli-ws-');
const lux = (...args: string[]) => spawnSync('node', ['bin/lux.js', ...args, '--workspace', workspace], { encoding: 'utf8' });
let good: string;
let starter: string;

before(async () => {
  good = await buildGoFile('notebooks/09-namespaces/uts-container/solution.go', 'uts-container');
  starter = await buildGoFile('notebooks/09-namespaces/uts-container/starter.go', 'uts-container');
});
after(() => {
  for (const d of [good, starter]) rmSync(dirname(d), { recursive: true, force: true });
  rmSync(workspace, { recursive: true, force: true });
});

test('lux list --json: every challenge with id, number, stage and binary', () => {
  const r = lux('list', '--json');
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { id: string; number: string; stage: number; binary: string }[];
  assert.deepEqual(rows.filter((x) => x.stage === 9).map((x) => x.number), ['5.1', '5.2', '5.3', '5.4', '5.5', '5.6', '5.7', '5.8']);
  assert.deepEqual(rows[4], { id: 'uts-container', number: '5.5', stage: 9, binary: 'uts-container', title: 'UTS namespace (hostname)' });
});

test('lux check --bin: exit 0 on the reference, 1 on the starter, with readable assertions', () => {
  const ok = lux('check', '5.5', '--bin', good);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /PASSED {2}4\/4 assertions/);
  const bad = lux('check', 'uts-container', '--bin', starter);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /FAIL .*\[command-started\]\n\s+expected: .*\n\s+observed: .*not implemented/);
});

test('lux check --json prints the CheckResult', () => {
  const r = lux('check', 'uts-container', '--bin', starter, '--json');
  assert.equal(r.status, 1);
  const result = JSON.parse(r.stdout);
  assert.equal(result.status, 'failed');
  assert.equal(result.assertions[0].id, 'command-started');
});

test('--bin takes a relative folder; a missing one is a usage error', () => {
  const rel = spawnSync('node', ['bin/lux.js', 'check', '5.5', '--bin', relative(process.cwd(), good), '--workspace', workspace], { encoding: 'utf8' });
  assert.equal(rel.status, 0, rel.stdout + rel.stderr);
  const missing = lux('check', '5.5', '--bin', '/nonexistent-bin-dir');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--bin \/nonexistent-bin-dir: not a directory/);
});

test('usage errors exit 2 and say what is wrong', () => {
  const r = lux('check', 'no-such-challenge');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown challenge "no-such-challenge"/);
  assert.equal(lux('frobnicate').status, 2);
});

test('lux check without --bin builds the workspace first and records progress', () => {
  const r = lux('check', '5.5');
  assert.equal(r.status, 1, 'the starter is what a fresh workspace holds');
  assert.match(r.stdout, /go build -o uts-container/);
});
