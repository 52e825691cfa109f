import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { NotebookParseError, parseChallenge, parseStage } from '../../server/notebooks/parse.ts';
import { loadCatalog } from '../../server/notebooks/load.ts';
import { parseCurriculum } from '../../server/notebooks/curriculum.ts';
import { readFileSync } from 'node:fs';

const good = `---
id: demo
number: "5.10"
title: Demo
binary: demo
usage: demo <x>
---

%% text
Hello *world*.

%% go

%% check
What is checked.

%% diagram namespaces
`;

function parseError(text: string): NotebookParseError {
  try {
    parseChallenge(text, 'nb/demo/challenge.md');
  } catch (err) {
    assert.ok(err instanceof NotebookParseError, String(err));
    return err;
  }
  assert.fail('expected a parse error');
}

test('a challenge parses into typed cells, keeping 5.10 a string', () => {
  const c = parseChallenge(good, 'x.md');
  assert.equal(c.number, '5.10');
  assert.deepEqual(
    c.cells.map((x) => [x.kind, x.arg, x.line]),
    [
      ['text', '', 9],
      ['go', '', 12],
      ['check', '', 14],
      ['diagram', 'namespaces', 17],
    ],
  );
  assert.equal(c.cells[0]!.body, 'Hello *world*.');
});

test('malformed challenges are refused with file, line and reason', () => {
  const cases: [string, number, RegExp][] = [
    [good.replace('%% go', '%% python'), 12, /unknown cell kind "python"/],
    [good.replace('%% diagram namespaces', '%% diagram cgroups-nope'), 17, /unknown diagram/],
    [good.replace('%% text\n', ''), 9, /text outside a cell/],
    [good.replace('number: "5.10"', 'number: five'), 3, /"number" must be a curriculum number/],
    [good.replace('binary: demo\n', ''), 1, /missing "binary"/],
    [good.replace('binary: demo', 'id: again'), 5, /front matter: Map keys must be unique/],
    [good.replace(/^---\n/, ''), 1, /must start with a line "---"/],
    [good + '\n%% go\n', 19, /at most one "go" cell/],
  ];
  for (const [text, line, reason] of cases) {
    const err = parseError(text);
    assert.equal(err.file, 'nb/demo/challenge.md');
    assert.match(err.reason, reason);
    assert.equal(err.line, line, `${err.reason}`);
  }
});

test('a cgroups diagram may name the cgroup its tree starts from', () => {
  const c = parseChallenge(good.replace('%% diagram namespaces', '%% diagram cgroups /luxlab'), 'x.md');
  assert.deepEqual(c.cells.at(-1)!.arg, 'cgroups /luxlab');
  assert.deepEqual(parseChallenge(good.replace('%% diagram namespaces', '%% diagram cgroups'), 'x.md').cells.at(-1)!.arg, 'cgroups');
  const cases: [string, RegExp][] = [
    ['%% diagram namespaces /luxlab', /"%% diagram namespaces" takes no argument/],
    ['%% diagram cgroups /a /b', /takes at most a root cgroup/],
    ['%% diagram cgroups luxlab', /starting with "\/"/],
    ['%% diagram cgroups /luxlab/../..', /without "\.\."/],
  ];
  for (const [marker, reason] of cases) {
    const err = parseError(good.replace('%% diagram namespaces', marker));
    assert.match(err.reason, reason);
    assert.equal(err.line, 17);
  }
});

test('a stage needs its list of challenges', () => {
  const s = parseStage('---\nstage: 9\ntitle: T\nchallenges:\n  - a\n  - b\n---\nIntro.\n', 'nb.md');
  assert.deepEqual([s.stage, s.challenges, s.intro], [9, ['a', 'b'], 'Intro.']);
  assert.throws(() => parseStage('---\nstage: 9\ntitle: T\nchallenges: a\n---\n', 'nb.md'), /nb\.md:4: front matter: "challenges" must be a list/);
});

test('a malformed notebook is refused; the other stages are still served', () => {
  const root = mkdtempSync('/tmp/luxlab-nb-');
  const nb = join(root, 'notebooks');
  cpSync('notebooks', nb, { recursive: true });
  mkdirSync(join(nb, '12-broken', 'x'), { recursive: true });
  writeFileSync(join(nb, '12-broken', 'notebook.md'), '---\nstage: 12\ntitle: Broken\nchallenges:\n  - x\n---\n');
  writeFileSync(join(nb, '12-broken', 'x', 'challenge.md'), good.replace('%% go', '%% nope').replace('id: demo', 'id: x'));
  const catalog = loadCatalog(nb, root);
  assert.deepEqual(catalog.errors, [{ file: 'notebooks/12-broken/x/challenge.md', line: 12, reason: 'unknown cell kind "nope" (expected one of: text, go, terminal, check, diagram)' }]);
  const served = catalog.stages.map((s) => s.stage);
  assert.ok(served.includes(9) && !served.includes(12), `served: ${served}`);
});

test('the curriculum lists stages 9–15 with 52 challenges and their binaries', () => {
  const stages = parseCurriculum(readFileSync('notebooks/curriculum.md', 'utf8'));
  assert.deepEqual(stages.map((s) => s.stage), [9, 10, 11, 12, 13, 14, 15]);
  assert.equal(stages.flatMap((s) => s.challenges).length, 52);
  assert.deepEqual(stages[0]!.challenges[0], { number: '5.1', title: 'Create Network Namespace', binary: 'netns' });
  assert.ok(stages.flatMap((s) => s.challenges).every((c) => c.binary), 'every challenge has a binary');
});

test('every Stage 9 challenge matches the curriculum number and binary', () => {
  const catalog = loadCatalog('notebooks', '.');
  const curriculum = new Map(catalog.curriculum.flatMap((s) => s.challenges).map((c) => [c.number, c]));
  for (const c of catalog.challenges.values()) {
    assert.equal(c.challenge.binary, curriculum.get(c.challenge.number)?.binary, c.challenge.id);
  }
});

test('requires: a list of known feature ids', () => {
  const withReq = good.replace('usage: demo <x>', 'usage: demo <x>\nrequires: [cgroup2-memory, systemd]');
  assert.deepEqual(parseChallenge(withReq, 'x.md').requires, ['cgroup2-memory', 'systemd']);
  assert.deepEqual(parseChallenge(good, 'x.md').requires, []);
  const bad = good.replace('usage: demo <x>', 'usage: demo <x>\nrequires: [cgroups-v3]');
  assert.throws(() => parseChallenge(bad, 'x.md'), /x\.md:7: front matter: unknown feature "cgroups-v3"/);
});
