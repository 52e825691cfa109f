// Every verifier, proven both ways, for real, as root: the reference solution passes every
// assertion; the starter fails; each wrong solution fails on the assertion it names.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Lab } from '../../server/lab.ts';
import { probeFeatures } from '../../kernels/probes/features.ts';
import { buildGoFile } from '../support/fixtures.ts';
import { assertKernelAsBefore, kernelPicture, type KernelPicture } from '../support/leaks.ts';

const lab = new Lab({ workspaceRoot: '/tmp/luxlab-test-workspace' });
const only = process.env.LUX_ONLY; // e.g. LUX_ONLY=uts-container while writing a verifier
const stages = process.env.LUX_STAGES?.split(',').map(Number); // the VM suite: LUX_STAGES=10
let picture: KernelPicture;

before(() => {
  picture = kernelPicture();
});

after(() => rmSync('/tmp/luxlab-test-workspace', { recursive: true, force: true }));

test('every notebook parses', () => {
  assert.deepEqual(lab.catalog.errors, []);
});

for (const source of lab.catalog.challenges.values()) {
  const c = source.challenge;
  if (only && c.id !== only && c.number !== only) continue;
  if (stages && !stages.includes(c.stage)) continue;
  // Like runc's requires_kernel: a check this machine cannot run is skipped, saying why.
  const missing = probeFeatures(c.requires).filter((f) => !f.available);
  const skip = missing.length ? `needs ${missing.map((f) => `${f.title} (${f.detail})`).join('; ')}` : false;
  describe(`${c.number} ${c.id}`, { skip }, () => {
    const check = async (goFile: string) => {
      const bin = await buildGoFile(goFile, c.binary);
      try {
        return await lab.check(c.id, { binDir: bin });
      } finally {
        rmSync(dirname(bin), { recursive: true, force: true });
      }
    };
    const summary = (r: Awaited<ReturnType<typeof check>>) =>
      r.assertions.map((a) => `${a.pass ? 'pass' : 'FAIL'} ${a.id}: observed ${a.observed}`).join('\n') + (r.error ? `\nerror: ${r.error}` : '');

    test('reference solution passes every assertion', async () => {
      const r = await check(source.solution);
      assert.equal(r.status, 'passed', summary(r));
      assert.ok(r.assertions.length >= 3, 'a check makes at least three assertions');
      assert.ok(!r.assertions.some((a) => a.id === 'host-left-clean'), 'nothing leaked');
    });

    test('starter fails', async () => {
      const r = await check(source.starter);
      assert.equal(r.status, 'failed', summary(r));
    });

    for (const wrong of source.wrong) {
      test(`wrong solution "${wrong.name}" fails on ${wrong.expectFail}`, async () => {
        const r = await check(wrong.path);
        assert.equal(r.status, 'failed', summary(r));
        const failed = r.assertions.filter((a) => !a.pass).map((a) => a.id);
        assert.ok(failed.includes(wrong.expectFail), `expected ${wrong.expectFail} to fail; failed: ${failed.join(', ')}\n${summary(r)}`);
      });
    }

    test('has at least two wrong solutions', () => {
      assert.ok(source.wrong.length >= 2, `${c.id} has ${source.wrong.length} wrong solutions`);
    });
  });
}

test('the host is as it was: no namespace, link, mount, cgroup, loop device, process or scratch folder left', () => {
  assertKernelAsBefore(picture, (now) => {
    now.scratch = now.scratch.filter((n) => n !== 'luxlab-test-workspace'); // removed in after()
  });
});
