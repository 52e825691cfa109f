// The check runner's guarantees, with small verifiers of its own: hung binaries are killed and
// reported, a stuck verifier is timed out, cleanup always runs, the host is restored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';
import { runCheck } from '../../kernels/check/runner.ts';
import { allPids, cmdline } from '../../kernels/proc.ts';

const dir = new URL('../fixtures/runner/', import.meta.url).pathname;
const check = (verifier: string, timeoutMs?: number) =>
  runCheck({ challengeId: 'runner-test', verifierPath: `${dir}${verifier}`, binDir: `${dir}bin`, binary: 'hang', timeoutMs });
const sleepers = () => allPids().filter((p) => cmdline(p).join(' ') === 'sleep 600');

test('a hung binary is killed with what it started, and reported as such', async () => {
  const r = await check('hang.ts');
  assert.equal(r.status, 'failed');
  assert.deepEqual(r.assertions.map((a) => [a.id, a.pass]), [['before', true], ['binary-finished', false]]);
  assert.match(r.assertions[1]!.observed, /killed/);
  assert.deepEqual(sleepers(), [], 'no process left, the setsid one included');
});

test('a verifier that never ends is timed out; its cleanup still runs', async () => {
  const mark = `/tmp/luxlab-runner-mark-${process.pid}`;
  process.env.LUX_TEST_MARK = mark;
  const r = await check('stuck.ts', 1000);
  assert.equal(r.status, 'failed');
  assert.ok(r.assertions.some((a) => a.id === 'check-timeout' && !a.pass));
  assert.equal(readFileSync(mark, 'utf8'), 'cleaned');
  rmSync(mark);
  assert.deepEqual(sleepers(), []);
});

test("a changed host hostname is restored and fails the check", async () => {
  const before = hostname();
  const r = await check('rename-host.ts');
  assert.equal(hostname(), before);
  assert.equal(r.status, 'failed');
  assert.ok(r.assertions.some((a) => a.id === 'host-hostname-unchanged' && !a.pass));
});

test('a namespace the check named and left behind is swept', async () => {
  const r = await check('leaves-netns.ts');
  assert.equal(r.status, 'passed');
  assert.ok(r.swept.some((s) => /^netns leak/.test(s)), r.swept.join('; '));
  assert.doesNotMatch(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }), /leak/);
  assert.ok(!existsSync('/run/luxlab-check.lock'), 'the kernel lock is released');
});

test('iptables rules and network sysctls a check changed are put back', async () => {
  const rules = () => execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).replace(/^#.*\n/gm, '').replace(/\[\d+:\d+\]/g, '');
  const before = rules();
  const forward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  const r = await check('changes-network.ts');
  assert.equal(r.status, 'passed');
  assert.equal(rules(), before);
  assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), forward);
  assert.ok(r.swept.some((s) => /iptables rules restored/.test(s)), r.swept.join('; '));
});

test('network test hosts: two namespaces, a veth, ping and TCP cross; all removed after', async () => {
  const r = await check('network-hosts.ts');
  assert.equal(r.status, 'passed', JSON.stringify(r.assertions) + (r.error ?? ''));
  assert.equal(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }), '');
  assert.ok(!r.assertions.some((a) => a.id === 'host-left-clean'));
});

test('a lab process that dies mid-check: the next check puts the host back first', async () => {
  const before = hostname();
  const script = `import { runCheck } from '${new URL('../../kernels/check/runner.ts', import.meta.url).pathname}';
await runCheck({ challengeId: 'dies', verifierPath: '${dir}dies.ts', binDir: '${dir}bin', binary: 'hang' });`;
  const died = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(died.status, 9, died.stderr);
  assert.notEqual(hostname(), before, 'the dead check left the host renamed');
  const r = await check('leaves-netns.ts');
  assert.equal(hostname(), before);
  assert.equal(r.status, 'passed');
});

test('something new on the host that is not the check\'s fails the check, and is reported, not deleted', async () => {
  try {
    const r = await check('leaves-foreign-netns.ts');
    assert.equal(r.status, 'failed');
    const leak = r.assertions.find((a) => a.id === 'host-left-clean');
    assert.ok(leak && !leak.pass && /netns lxforeign/.test(leak.observed), JSON.stringify(r.assertions));
  } finally {
    execFileSync('ip', ['netns', 'delete', 'lxforeign']);
    spawnSync('umount', ['/run/netns']);
  }
});
