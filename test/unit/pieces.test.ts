import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ClientMessage } from '../../common/protocol.ts';
import { parseGoErrors } from '../../kernels/go/build.ts';
import { renderMarkdown } from '../../server/notebooks/markdown.ts';
import { mountinfo } from '../../kernels/proc.ts';

test('terminal client messages: valid ones pass, others are refused', () => {
  const v = TypeCompiler.Compile(ClientMessage);
  assert.ok(v.Check({ type: 'input', data: 'ls\r' }));
  assert.ok(v.Check({ type: 'resize', cols: 80, rows: 24 }));
  assert.ok(v.Check({ type: 'ack', bytes: 5000 }));
  assert.ok(!v.Check({ type: 'input', data: 'x'.repeat(20_000) }), 'input too large');
  assert.ok(!v.Check({ type: 'resize', cols: 0, rows: 24 }));
  assert.ok(!v.Check({ type: 'ack', bytes: -1 }));
  assert.ok(!v.Check({ type: 'exec', cmd: 'rm' }));
  assert.ok(!v.Check('input'));
});

test('go build messages become diagnostics on the right line and column', () => {
  const out = '# luxlab/x\n./main.go:12:2: undefined: foo\n./main.go:30:5: missing return\nmain.go:7: syntax error';
  assert.deepEqual(parseGoErrors(out), [
    { file: 'main.go', line: 12, column: 2, message: 'undefined: foo' },
    { file: 'main.go', line: 30, column: 5, message: 'missing return' },
    { file: 'main.go', line: 7, column: 1, message: 'syntax error' },
  ]);
});

test('man page references link to the man pages; code spans stay code', () => {
  const html = renderMarkdown('See setns(2) and `unshare(2)` and [clone(2)](https://x/).');
  assert.match(html, /<a href="https:\/\/man7.org\/linux\/man-pages\/man2\/setns.2.html"[^>]*>setns\(2\)<\/a>/);
  assert.match(html, /<code>unshare\(2\)<\/code>/);
  assert.match(html, /<a href="https:\/\/x\/">clone\(2\)<\/a>/);
  assert.doesNotMatch(renderMarkdown('<script>x</script>'), /<script>/, 'raw HTML is escaped');
});

test('mountinfo parses the live table', () => {
  const root = mountinfo('self').find((m) => m.mountPoint === '/');
  assert.ok(root, 'a root mount');
  assert.ok(mountinfo('self').some((m) => m.fsType === 'proc' && m.mountPoint === '/proc'));
});
