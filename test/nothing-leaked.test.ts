// Run last by scripts/test: the kernel holds nothing the whole suite made — no namespace, link,
// mount, cgroup, scratch folder, or process left in a lab jail — compared with the picture
// taken before the first test file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { kernelPicture, type KernelPicture } from './support/leaks.ts';

const BEFORE = 'test-results/kernel-before.json';

test('after the whole suite the kernel is as it was before it', { skip: !existsSync(BEFORE) && 'run by scripts/test' }, () => {
  const before = JSON.parse(readFileSync(BEFORE, 'utf8')) as KernelPicture;
  assert.deepEqual(kernelPicture(), before);
});
