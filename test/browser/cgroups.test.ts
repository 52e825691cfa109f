// The cgroup tree in a real browser: Debian's Chromium (headless) against a real server whose
// notebooks are a fixture made here — one Stage 10 challenge with a check cell and a
// `%% diagram cgroups <root>` cell. The diagram draws a hierarchy this test builds under the
// cgroup2 mount, keeps its filter across polls while a freeze shows up; the check cell draws
// the tree its verifier snapshot (a frozen cgroup it made, in focus).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build as viteBuild } from 'vite';
import { withCheckLock } from '../../kernels/check/lock.ts';
import { cgroupMountPoint } from '../../kernels/probes/cgroups.ts';
import { build, type LabServer } from '../../server/app.ts';
import { Lab, REPO_ROOT } from '../../server/lab.ts';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'browser-cgroups-token-0123456789';
const ID = 'cgroup-picture';
const MOUNT = cgroupMountPoint();
const REL = `/luxlab-browser-test-${process.pid}`;
const ROOT = MOUNT + REL;

let server: LabServer | null = null;
let browser: Browser | null = null;
let page: Page;
let baseUrl = '';
let dirs: string[] = [];
let sleeper: ChildProcess | null = null;
const pageErrors: string[] = [];

const challengeMd = `---
id: ${ID}
number: "5.9"
title: Cgroup picture (fixture)
binary: picture
usage: picture
---

%% text
A fixture for the cgroup tree diagram.

%% check
The verifier makes a frozen cgroup and takes the picture.

%% diagram cgroups ${REL}
`;

// Runs inside the lab server (this process): makes ROOT/made-by-check/inner, frozen, and snapshots it.
const verifyTs = `import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { defineCheck } from ${JSON.stringify(join(REPO_ROOT, 'kernels/check/index.ts'))};

export default defineCheck(async (t) => {
  const made = ${JSON.stringify(`${ROOT}/made-by-check`)};
  mkdirSync(made + '/inner', { recursive: true });
  t.defer(() => { rmdirSync(made + '/inner'); rmdirSync(made); });
  writeFileSync(made + '/inner/cgroup.freeze', '1');
  const frozen = await t.waitFor(() => readFileSync(made + '/inner/cgroup.events', 'utf8').includes('frozen 1'));
  await t.snapshotCgroups(${JSON.stringify(REL)}, [${JSON.stringify(`${REL}/made-by-check/inner`)}]);
  t.assert({ id: 'frozen', title: 'inner is frozen', pass: Boolean(frozen), expected: 'frozen 1', observed: String(Boolean(frozen)) });
});
`;

function writeFixture(): string {
  const nb = mkdtempSync('/tmp/luxlab-browser-nb-');
  cpSync(join(REPO_ROOT, 'notebooks', 'curriculum.md'), join(nb, 'curriculum.md'));
  const dir = join(nb, '10-cgroups-fixture', ID);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(nb, '10-cgroups-fixture', 'notebook.md'), `---\nstage: 10\ntitle: Cgroups (fixture)\nchallenges:\n  - ${ID}\n---\nA fixture.\n`);
  writeFileSync(join(dir, 'challenge.md'), challengeMd);
  for (const f of ['starter.go', 'solution.go']) writeFileSync(join(dir, f), 'package main\n\nfunc main() {}\n');
  writeFileSync(join(dir, 'verify.ts'), verifyTs);
  return nb;
}

/** Our hierarchy killed and removed, deepest first. */
function removeCgroups(): void {
  if (!existsSync(ROOT)) return;
  const walk = (d: string): string[] => [...readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => walk(join(d, e.name))), d];
  for (const d of walk(ROOT)) {
    try {
      writeFileSync(join(d, 'cgroup.freeze'), '0');
      rmdirSync(d);
    } catch (err) {
      console.error(`could not remove ${d}: ${(err as Error).message}`);
    }
  }
}

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup --test (installs Debian's chromium)`);
  const clientDir = mkdtempSync('/tmp/luxlab-browser-client-');
  const workspace = mkdtempSync('/tmp/luxlab-browser-ws-');
  const notebooks = writeFixture();
  dirs = [clientDir, workspace, notebooks];
  await viteBuild({ configFile: join(REPO_ROOT, 'vite.config.ts'), configLoader: 'native', logLevel: 'warn', build: { outDir: clientDir, emptyOutDir: true } });
  server = await build({ lab: new Lab({ notebooksDir: notebooks, workspaceRoot: workspace }), token: TOKEN, clientDir });
  baseUrl = await server.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  const steps: [string, () => unknown][] = [
    ['screenshot', async () => {
      mkdirSync(join(REPO_ROOT, 'test-results'), { recursive: true });
      if (browser) await page.locator(`section[data-challenge=${ID}]`).screenshot({ path: join(REPO_ROOT, 'test-results', 'cgroups.png') });
    }],
    ['browser', async () => browser?.close()],
    ['server', async () => server?.app.close()],
    ['sleep', async () => {
      if (!sleeper) return;
      sleeper.kill('SIGKILL'); // dies frozen or not (cgroup v2)
      await new Promise((r) => (sleeper!.exitCode !== null || sleeper!.signalCode !== null ? r(null) : sleeper!.once('exit', r)));
    }],
    ['cgroups', () => removeCgroups()],
    ['folders', () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true }))],
  ];
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (e) {
      console.error(`cleanup (${what}) failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  assert.equal(existsSync(ROOT), false, 'our cgroups are gone');
});

test('a cgroups diagram cell draws the live tree, filters it, and a poll shows a freeze without losing the filter', () =>
  // Held while our cgroups are made: a check running meanwhile would take them for its own.
  withCheckLock(async () => {
    mkdirSync(`${ROOT}/a/b`, { recursive: true });
    mkdirSync(`${ROOT}/other`);
    for (let i = 0; i < 120; i++) mkdirSync(`${ROOT}/many.slice/u${String(i).padStart(3, '0')}.service`, { recursive: true }); // a system.slice
    sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    writeFileSync(`${ROOT}/a/b/cgroup.procs`, String(sleeper.pid));

    await page.goto(`${baseUrl}/?token=${TOKEN}`);
    await page.goto(`${baseUrl}/stage/10-cgroups-fixture#${ID}`);
    const cell = page.locator(`section[data-challenge=${ID}] .cell-diagram[data-diagram=cgroups]`);
    await cell.scrollIntoViewIfNeeded();
    const tree = cell.locator('[data-testid=cgroup-diagram]');
    await tree.waitFor({ timeout: 20_000 });
    const nodeAt = (p: string) => tree.locator(`[data-testid=cgroup-node][data-path="${p}"]`);
    const lineOf = (p: string) => nodeAt(p).locator(':scope > .cg-line, :scope > details > .cg-line');
    assert.equal(await tree.locator('[data-testid=cgroup-node]').first().getAttribute('data-path'), REL, 'the root is the cell argument');
    await nodeAt(`${REL}/a/b`).waitFor();
    assert.match(await lineOf(`${REL}/a/b`).locator('.cg-procs').innerText(), /^1 proc$/);
    assert.match(await nodeAt(`${REL}/a/b`).locator(':scope > details > .cg-detail').textContent() ?? '', new RegExp(`${sleeper.pid} sleep`));

    // A large branch starts closed; opened, it lists a page of children and offers the rest.
    const many = nodeAt(`${REL}/many.slice`);
    assert.equal(await many.locator(':scope > details').getAttribute('open'), null, 'a branch of 120 starts closed');
    await lineOf(`${REL}/many.slice`).click();
    assert.equal(await many.locator(':scope > details > ul > [data-testid=cgroup-node]').count(), 40);
    await many.locator('button.cg-more').click();
    assert.equal(await many.locator(':scope > details > ul > [data-testid=cgroup-node]').count(), 120);

    await cell.locator('[data-testid=cgroup-filter]').fill('a/b');
    assert.equal(await nodeAt(`${REL}/other`).count(), 0, 'the filter leaves out what does not match');
    assert.ok(await nodeAt(`${REL}/a/b`).isVisible(), 'the match and its ancestors stay');

    writeFileSync(`${ROOT}/a/b/cgroup.freeze`, '1');
    await lineOf(`${REL}/a/b`).locator('[data-testid=cgroup-frozen]').waitFor({ timeout: 15_000 }); // the next poll
    assert.equal(await cell.locator('[data-testid=cgroup-filter]').inputValue(), 'a/b', 'the filter survives the redraw');
    assert.equal(await nodeAt(`${REL}/other`).count(), 0);
    await cell.locator('[data-testid=cgroup-filter]').fill('');
    await nodeAt(`${REL}/other`).waitFor();
    assert.equal(await many.locator(':scope > details').getAttribute('open'), '', 'what was opened by hand stays open across polls and filters');
    await lineOf(`${REL}/many.slice`).click(); // closed again, for the screenshot
  }));

test("the check cell draws the cgroup tree the verifier observed, its focus open", async () => {
  const section = page.locator(`section[data-challenge=${ID}]`);
  await section.locator('[data-testid=check]').click();
  await section.locator('[data-testid=check-summary]:not([hidden])').waitFor({ timeout: 120_000 });
  assert.equal(await section.locator('[data-testid=check-summary]').getAttribute('data-status'), 'passed', await section.locator('[data-testid=check-summary]').innerText());
  const picture = section.locator('[data-testid=check-diagram] [data-testid=cgroup-diagram]');
  const inner = picture.locator(`[data-testid=cgroup-node][data-path="${REL}/made-by-check/inner"]`);
  assert.ok(await inner.isVisible(), 'the focus is shown (its ancestors open)');
  assert.match((await inner.getAttribute('class')) ?? '', /\bfocus\b/);
  assert.equal(await inner.locator(':scope > .cg-line [data-testid=cgroup-frozen], :scope > details > .cg-line [data-testid=cgroup-frozen]').count(), 1, 'frozen, as the verifier saw it');
  assert.equal(existsSync(`${ROOT}/made-by-check`), false, "the verifier's cgroups are gone");
  const saved = JSON.parse(readFileSync(join(dirs[1]!, 'state', 'results', `${ID}.json`), 'utf8')) as { cgroups?: { root: string } };
  assert.equal(saved.cgroups?.root, REL, 'the saved result carries the snapshot');
});

test('nothing threw in the page', () => {
  assert.deepEqual(pageErrors, []);
});
