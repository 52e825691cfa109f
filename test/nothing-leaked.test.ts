// Run last by scripts/test: the kernel holds nothing the whole suite made — no namespace, link,
// mount, cgroup, loop device, scratch folder, or process left in a lab jail or anywhere else — compared with the picture
// taken before the first test file.
import { test } from 'node:test';
import { existsSync, readFileSync } from 'node:fs';
import { assertKernelAsBefore, type KernelPicture } from './support/leaks.ts';

const BEFORE = 'test-results/kernel-before.json';

test('after the whole suite the kernel is as it was before it', { skip: !existsSync(BEFORE) && 'run by scripts/test' }, () => {
  const before = JSON.parse(readFileSync(BEFORE, 'utf8')) as KernelPicture;
  assertKernelAsBefore(before);
});
