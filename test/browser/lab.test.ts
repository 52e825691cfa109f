// The lab in a real browser: Debian's Chromium (headless) against a real server on loopback,
// with the client built from the current sources. Walks Stage 9 to 5.5 uts-container, solves
// it with the reference solution, checks it, uses the terminal, and breaks the build on purpose.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { build as viteBuild } from 'vite';
import { build, type LabServer } from '../../server/app.ts';
import { Lab, REPO_ROOT } from '../../server/lab.ts';
import type { LuxWindow } from '../../client/src/monaco.ts';
import type { Stage } from '../../common/notebook.ts';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'browser-test-token-0123456789';
const CHALLENGE = 'uts-container';
const SOLUTION = readFileSync(join(REPO_ROOT, 'notebooks/09-namespaces', CHALLENGE, 'solution.go'), 'utf8');
const SCREENSHOT = join(REPO_ROOT, 'test-results', 'stage9.png');
const CHECK_TIMEOUT_MS = 120_000;

let server: LabServer | null = null;
let browser: Browser | null = null;
let page: Page;
let baseUrl = '';
let workspace = '';
let clientDir = '';
const pageErrors: string[] = [];

/** The section of the challenge under test (every section stays in the page once shown). */
const section = (): Locator => page.locator(`section[data-challenge=${CHALLENGE}]`);

/** Replace the learner's code the way typing would: through the editor, so autosave runs. */
async function setEditorCode(code: string): Promise<void> {
  await page.waitForFunction((id) => Boolean((window as LuxWindow).__luxEditors?.[id]), CHALLENGE);
  await page.evaluate(([id, text]) => (window as LuxWindow).__luxEditors![id!]!.setValue(text!), [CHALLENGE, code]);
}

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup --test (installs Debian's chromium)`);
  // The client as it is now, not whatever dist/client last held; served by the server below.
  clientDir = mkdtempSync('/tmp/luxlab-browser-client-');
  // configLoader 'native': this process already runs TypeScript (tsx), and the default loader
  // would write a temporary bundled config next to vite.config.ts.
  await viteBuild({
    configFile: join(REPO_ROOT, 'vite.config.ts'),
    configLoader: 'native',
    logLevel: 'warn',
    build: { outDir: clientDir, emptyOutDir: true },
  });
  workspace = mkdtempSync('/tmp/luxlab-browser-ws-');
  server = await build({ lab: new Lab({ workspaceRoot: workspace }), token: TOKEN, clientDir });
  baseUrl = await server.app.listen({ host: '127.0.0.1', port: 0 });

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } }); // a fresh, empty profile
  // confirm() guards Reset and Show solution; this test never clicks those, but must not hang if it did.
  context.on('dialog', (d) => void d.dismiss());
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  // Each step on its own: a failure in one must not leave the others (server, shells) running.
  const steps: [string, () => Promise<unknown>][] = [
    ['screenshot', async () => {
      mkdirSync(join(REPO_ROOT, 'test-results'), { recursive: true });
      if (browser) await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }],
    ['browser', async () => browser?.close()],
    ['terminal', async () => server?.terminals.closeAll()],
    ['server', async () => server?.app.close()],
    ['workspace', async () => workspace && rmSync(workspace, { recursive: true, force: true })],
    ['client build', async () => clientDir && rmSync(clientDir, { recursive: true, force: true })],
  ];
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (e) {
      console.error(`cleanup (${what}) failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
});

test('home lists the stages; stage 9 opens and keeps the challenge shown in the URL', async () => {
  const homeAssets: string[] = [];
  const recordAsset = (r: { url(): string }) => void (r.url().includes('/assets/') && homeAssets.push(new URL(r.url()).pathname));
  page.on('request', recordAsset);
  await page.goto(`${baseUrl}/?token=${TOKEN}`); // sets the cookie, redirects to /
  await page.locator('[data-testid=stage]').first().waitFor();
  page.off('request', recordAsset);
  assert.deepEqual(homeAssets.filter((a) => /monaco|worker|terminal/.test(a)), [], 'the home page loads neither Monaco nor xterm');
  assert.equal(await page.locator('[data-testid=stage]').count(), 7);
  assert.ok((await page.locator('[data-testid=coming]').count()) >= 1, 'stages without a notebook say "coming"');

  await page.locator('[data-testid=stage-link]').first().click();
  await page.locator('[data-testid=toc]').waitFor();
  assert.equal(new URL(page.url()).pathname, '/stage/09-namespaces');

  await page.locator(`[data-testid=toc] a[data-challenge=${CHALLENGE}]`).click();
  await section().waitFor();
  assert.equal(new URL(page.url()).hash, `#${CHALLENGE}`);

  await page.locator('[data-testid=next]').click();
  assert.notEqual(new URL(page.url()).hash, `#${CHALLENGE}`);
  assert.ok(await section().isHidden(), 'one challenge section at a time');
  await page.locator('[data-testid=prev]').click();
  assert.equal(new URL(page.url()).hash, `#${CHALLENGE}`);

  await page.reload(); // the hash is honoured on load
  await section().waitFor();
  assert.equal(await page.locator('section[data-testid=challenge]:not([hidden])').count(), 1);
});

test('the reference solution builds and passes every assertion of the check', async () => {
  const hostBefore = hostname();
  await setEditorCode(SOLUTION);
  await section().locator('[data-testid=build]').click();
  await section().locator('[data-testid=build-summary]').waitFor();
  assert.equal(await section().locator('[data-testid=build-summary]').getAttribute('data-ok'), 'true', await section().locator('[data-testid=build-output]').innerText());
  assert.equal(await section().locator('[data-testid=save-status]').getAttribute('data-state'), 'saved');
  // Build saved first: the server has exactly the editor's text.
  assert.equal(server!.lab.code(CHALLENGE).code, SOLUTION);

  await section().locator('[data-testid=check]').click();
  await section().locator('[data-testid=check-summary]:not([hidden])').waitFor({ timeout: CHECK_TIMEOUT_MS });
  const assertions = section().locator('[data-testid=assertion]');
  const passes = await assertions.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-pass')} ${e.textContent}`));
  assert.ok(passes.length > 0, 'the check reported assertions');
  assert.deepEqual(passes.filter((p) => !p.startsWith('true')), [], 'every assertion passes');
  assert.equal(await section().locator('[data-testid=check-summary]').getAttribute('data-status'), 'passed');
  assert.equal(await page.locator(`[data-testid=toc] a[data-challenge=${CHALLENGE}] .status`).getAttribute('data-status'), 'passed');
  assert.equal(hostname(), hostBefore, "the host's hostname is unchanged");
});

test('the terminal runs what is typed into it', async () => {
  const terminal = section().locator('[data-testid=terminal]');
  await terminal.locator('.xterm-rows').waitFor();
  await page.waitForFunction((id) => document.querySelector(`section[data-challenge=${id}] .cell-terminal`)?.getAttribute('data-state') === 'open', CHALLENGE);
  await terminal.click();
  await page.keyboard.type('echo hello-$((6*7))');
  await page.keyboard.press('Enter');
  // The typed line shows "hello-$((6*7))": only the shell's answer contains "hello-42".
  await page.waitForFunction(
    (id) => document.querySelector(`section[data-challenge=${id}] [data-testid=terminal] .xterm-rows`)?.textContent?.includes('hello-42'),
    CHALLENGE,
    { timeout: 15_000 },
  );
});

test('a compile error becomes an error marker on its line in the editor', async () => {
  const broken = SOLUTION.replace('func main() {\n', 'func main() {\n\tundefinedThing()\n');
  const line = broken.split('\n').indexOf('\tundefinedThing()') + 1;
  assert.ok(line > 1);
  await setEditorCode(broken);
  await section().locator('[data-testid=build]').click();
  await section().locator('[data-testid=build-summary][data-ok=false]').waitFor();

  const markers = await page.evaluate(() => {
    const monaco = (window as LuxWindow).__luxMonaco!;
    return monaco.editor.getModelMarkers({}).map((m) => ({ line: m.startLineNumber, severity: m.severity, error: m.severity === monaco.MarkerSeverity.Error, message: m.message }));
  });
  const onLine = markers.filter((m) => m.line === line);
  assert.equal(onLine.length, 1, `one marker on line ${line}: ${JSON.stringify(markers)}`);
  assert.ok(onLine[0]!.error, 'an Error marker');
  assert.match(onLine[0]!.message, /undefinedThing/);
  await section().locator('.squiggly-error').first().waitFor(); // and it is drawn
});

test('a topology diagram cell draws the network namespaces, the host first', async () => {
  const stage = (await (await page.request.get(`${baseUrl}/api/stages/11-networking`)).json()) as Stage;
  const withTopology = stage.challenges.find((c) => c.cells.some((x) => x.kind === 'diagram' && x.diagram === 'topology'));
  assert.ok(withTopology, 'stage 11 has a topology diagram cell');
  await page.goto(`${baseUrl}/stage/11-networking#${withTopology.id}`);
  const cell = page.locator(`section[data-challenge=${withTopology.id}] .cell-diagram[data-diagram=topology]`);
  const svg = cell.locator('svg.topo-diagram');
  await svg.waitFor({ timeout: 20_000 });
  assert.equal(await svg.locator('.topo-box').first().getAttribute('data-host'), 'true');
  assert.ok((await svg.locator('.topo-box[data-host=true] [data-ifname=lo]').count()) === 1, 'the host box lists lo');
  await cell.screenshot({ path: join(REPO_ROOT, 'test-results', 'topology.png') });
});

test('nothing threw in the page', () => {
  assert.deepEqual(pageErrors, []);
});
