// The host side of `npm run test:vm` (scripts/test-vm prepares the disks, then runs this file
// with node:test). It boots the lab VM under QEMU (software emulation) with the guest's 8080
// forwarded to a free port on 127.0.0.1, then does what a user does after `vagrant up`: reads
// the URL the provisioning printed, opens it in headless Chromium and sees the home page. It
// brings the VM suite's results (test/vm/*.vm.ts, run in the VM by test/vm/guest.sh) into
// this report, one test each, powers the VM off, and boots it once more to see the workspace
// survive (`vagrant halt`, `vagrant up`). QEMU never outlives this process (pdeathsig).
//   env (set by scripts/test-vm): LUX_VM_RUN (the run's folder: root.qcow2, project.img),
//   LUX_VM_KERNEL, LUX_VM_INITRD, LUX_VM_CPUS, LUX_VM_MEMORY
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const RUN = env('LUX_VM_RUN');
const KERNEL = env('LUX_VM_KERNEL');
const INITRD = env('LUX_VM_INITRD');
const CPUS = process.env.LUX_VM_CPUS ?? '2';
const MEMORY = process.env.LUX_VM_MEMORY ?? '4096';
const RESULTS = join(process.cwd(), 'test-results');
const CHROMIUM = '/usr/bin/chromium';
/** Boot, provisioning and the first start of the lab, all emulated. */
const READY_TIMEOUT_MS = 8 * 60_000;
/** The smoke tests and Stage 10's verifiers, each proven both ways, under emulation. */
const SUITE_TIMEOUT_MS = 30 * 60_000;
const POWEROFF_TIMEOUT_MS = 3 * 60_000;
const MARK = '@@LUXLAB-VM ';
const URL_LINE = /^luxlab: open (http:\/\/\S+\/\?token=([0-9a-f]+))$/;

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run scripts/test-vm (npm run test:vm), not this file`);
  return value;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(0)} s`;

/**
 * One boot of the VM: QEMU, its console (ttyS0, to a file) and the control channel (ttyS1, a
 * Unix socket this side listens on): lines from the guest; `send` writes to the guest.
 */
class Boot {
  readonly lines: string[] = [];
  readonly startedAt = Date.now();
  readonly consoleFile: string;
  private readonly qemu: ChildProcess;
  private readonly server: Server;
  private socket: Socket | null = null;
  private partial = '';
  private waiters: (() => void)[] = [];
  private stderr = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private hung = '';
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly port: number,
    mode: 'suite' | 'up',
  ) {
    this.consoleFile = join(RUN, `console-${name}.log`);
    const sock = join(RUN, `ctl-${name}.sock`);
    rmSync(sock, { force: true });
    this.server = createServer((s) => {
      this.socket = s;
      s.setEncoding('utf8');
      s.on('data', (chunk: string) => this.receive(chunk));
      s.on('error', () => {});
    });
    this.server.listen(sock);
    // -nodefaults: no floppy, CD-ROM, VGA or default NIC to probe (each costs seconds emulated).
    // restrict=on: the guest reaches nothing; only the forwarded port comes in, on loopback.
    const args = [
      '--pdeathsig', 'KILL', '--',
      'qemu-system-x86_64', '-accel', 'tcg', '-machine', 'q35', '-nodefaults', '-no-user-config', '-no-reboot',
      '-smp', CPUS, '-m', MEMORY, '-display', 'none', '-monitor', 'none',
      '-kernel', KERNEL, '-initrd', INITRD,
      '-append', `console=ttyS0 root=/dev/vda rw panic=1 luxlab.vmtest=${mode}`,
      '-drive', `file=${join(RUN, 'root.qcow2')},format=qcow2,if=virtio`,
      '-drive', `file=${join(RUN, 'project.img')},format=raw,if=virtio`,
      '-netdev', `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${port}-:8080`,
      '-device', 'virtio-net-pci,netdev=n0',
      '-device', 'virtio-rng-pci',
      '-serial', `file:${this.consoleFile}`,
      '-chardev', `socket,id=ctl,path=${sock}`, '-serial', 'chardev:ctl',
      '-pidfile', join(RUN, 'qemu.pid'),
    ];
    this.qemu = spawn('setpriv', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.qemu.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => {
      const ended = (code: number | null, signal: NodeJS.Signals | null): void => {
        this.exit ??= { code, signal };
        this.server.close();
        this.wake();
        resolve();
      };
      this.qemu.once('exit', ended);
      this.qemu.once('error', (e) => {
        this.stderr += String(e);
        ended(null, null);
      });
    });
  }

  private receive(chunk: string): void {
    const parts = (this.partial + chunk.replace(/\r/g, '')).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /**
   * The first line matching, waiting for it. Fails when QEMU exits first, when the guest's
   * runner ended first, on timeout, and at once after an earlier wait timed out (a hung VM
   * fails the tests that follow without each waiting its own timeout).
   */
  async waitFor(pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.lines) {
        const m = pattern.exec(line);
        if (m) return m;
      }
      if (this.hung) throw new Error(`${what}: the VM already hung (${this.hung})`);
      if (this.exit) throw new Error(`${what}: QEMU exited first (${this.describeExit()})\n${this.tail()}`);
      const ended = this.lines.find((l) => l.startsWith(`${MARK}unit-ended`));
      if (ended) throw new Error(`${what}: the runner in the VM ended first (${ended})\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        this.hung = `${what}: not within ${seconds(timeoutMs)}`;
        throw new Error(`${this.hung}\n${this.tail()}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  send(line: string): void {
    this.socket?.write(`${line}\n`);
  }

  async poweredOff(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
    const r = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (r === 'late') throw new Error(`the VM did not power off within ${seconds(timeoutMs)}\n${this.tail()}`);
  }

  describeExit(): string {
    return this.exit ? `code ${this.exit.code}, signal ${this.exit.signal}${this.stderr ? `: ${this.stderr.trim()}` : ''}` : 'running';
  }

  /** The last lines of the console and of the control channel: what a failure needs. */
  tail(): string {
    const screen = existsSync(this.consoleFile) ? readFileSync(this.consoleFile, 'utf8').replace(/\r/g, '').split('\n').slice(-40) : [];
    return [`--- ${this.name}: last console lines`, ...screen, `--- ${this.name}: last control lines`, ...this.lines.slice(-20)].join('\n');
  }

  /** Kill QEMU (and so the VM) if it still runs, and keep its console among the results. */
  async kill(): Promise<void> {
    if (!this.exit) {
      this.qemu.kill('SIGKILL');
      await this.exited;
    }
    if (existsSync(this.consoleFile)) copyFileSync(this.consoleFile, join(RESULTS, `vm-${this.name}-console.log`));
  }
}

interface TapResult {
  name: string;
  ok: boolean;
  skip: string | null;
  todo: string | null;
  details: string[];
  diagnostics: string[];
  /** The lines of its subtests, indented (a describe block). */
  nested: string[];
}

/** The failing subtests of a block, each with its YAML (the error, expected, actual) but not its stack. */
function failedSubtests(nested: string[]): string[] {
  const out: string[] = [];
  let keep = false;
  let inStack = false;
  for (const line of nested) {
    const result = /^\s+(not )?ok \d+ - /.exec(line);
    if (result) keep = !!result[1];
    if (!keep) continue;
    if (/^\s+stack: /.test(line)) inStack = true;
    else if (/^\s+(\.\.\.|[a-zA-Z]+: )/.test(line)) inStack = false;
    if (!inStack) out.push(line);
  }
  return out;
}

/** The top-level results of node's TAP reporter, with their subtests' lines. */
function parseTap(lines: string[]): TapResult[] {
  const results: TapResult[] = [];
  let inYaml = false;
  let nested: string[] = [];
  for (const line of lines) {
    const m = /^(not )?ok \d+ - (.*?)(?: # (SKIP|TODO)\b ?(.*))?$/.exec(line);
    const last = results.at(-1);
    if (m) {
      const reason = (kind: string): string | null => (m[3] === kind ? m[4] || kind.toLowerCase() : null);
      results.push({ name: m[2]!.replace(/\\#/g, '#'), ok: !m[1], skip: reason('SKIP'), todo: reason('TODO'), details: [], diagnostics: [], nested });
      nested = [];
      inYaml = false;
    } else if (line === '  ---') {
      inYaml = true;
    } else if (line === '  ...') {
      inYaml = false;
    } else if (inYaml && last) {
      last.details.push(line.slice(2));
    } else if (/^\s+\S/.test(line)) {
      nested.push(line); // a subtest's lines: they come before the result of their block
    } else if (last && line.startsWith('# ') && !line.startsWith('# Subtest:') && !/^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(line)) {
      last.diagnostics.push(line.slice(2));
    }
  }
  return results;
}

let port = 0;
let boot: Boot | null = null;
let labUrl = '';
let token = '';
let browser: Browser | null = null;
const timings: string[] = [];

before(async () => {
  mkdirSync(RESULTS, { recursive: true });
  port = await freePort();
  boot = new Boot('boot1', port, 'suite');
});

after(async () => {
  await browser?.close().catch(() => {});
  await boot?.kill();
  console.log(`vm timings: ${timings.join('; ')}`);
});

test('scripts/provision --assert fails loudly, naming each feature this host lacks', (t) => {
  const r = spawnSync('scripts/provision', ['--assert'], { encoding: 'utf8' });
  const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8').trim() : '');
  const lacks = {
    systemd: read('/proc/1/comm') !== 'systemd',
    cgroup2: spawnSync('stat', ['-fc', '%T', '/sys/fs/cgroup'], { encoding: 'utf8' }).stdout.trim() !== 'cgroup2fs',
    apparmor: read('/sys/module/apparmor/parameters/enabled') !== 'Y',
  };
  if (!Object.values(lacks).some(Boolean)) {
    assert.equal(r.status, 0, r.stderr);
    t.skip('this host has systemd, cgroup v2 and AppArmor: nothing to fail on');
    return;
  }
  assert.equal(r.status, 1, 'it fails');
  assert.equal(/PID 1 is .*, not systemd/.test(r.stderr), lacks.systemd, r.stderr);
  assert.equal(/\/sys\/fs\/cgroup is not cgroup v2/.test(r.stderr), lacks.cgroup2, r.stderr);
  assert.equal(/AppArmor is not enabled/.test(r.stderr), lacks.apparmor, r.stderr);
});

test('vagrant up: the VM boots, scripts/provision asserts the system, starts the lab and prints its URL', async () => {
  const b = boot!;
  const [, code] = await b.waitFor(/^@@LUXLAB-VM provision-exit (\d+)$/, READY_TIMEOUT_MS, 'provisioning at boot');
  const provisionOutput = b.lines.slice(0, b.lines.findIndex((l) => l.startsWith(`${MARK}provision-exit`)));
  assert.equal(code, '0', `scripts/provision failed in the VM:\n${provisionOutput.join('\n')}`);
  assert.ok(provisionOutput.some((l) => l.startsWith('luxlab provision: asserted:')), 'the asserts ran in the booted VM');
  // The image was provisioned already (in the chroot): running it again changes nothing.
  assert.deepEqual(provisionOutput.filter((l) => /^(luxlab provision: (installing|wrote|\(re\)starting)|setup: )/.test(l)), [], 'provisioning again does nothing');
  assert.ok(provisionOutput.includes('luxlab provision: the lab is running the current version'));
  const url = provisionOutput.map((l) => URL_LINE.exec(l)).find((m) => m !== null);
  assert.ok(url, `no URL line in:\n${provisionOutput.join('\n')}`);
  labUrl = url[1]!;
  token = url[2]!;
  timings.push(`boot to lab ready ${seconds(Date.now() - b.startedAt)}`);
});

test('the lab page opens through the forwarded port, in headless Chromium', async () => {
  assert.ok(token, 'the lab printed its URL');
  // The URL the VM prints names its side of the forwarding (127.0.0.1:8080); here the host
  // side is a free port.
  const url = new URL(labUrl);
  assert.equal(url.port, '8080');
  url.port = String(port);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } }); // a fresh, empty profile
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url.href, { timeout: 120_000 });
  assert.equal(new URL(page.url()).search, '', 'the token moved to a cookie');
  await page.locator('[data-testid=home]').waitFor({ timeout: 120_000 });
  const stage9 = page.locator('[data-testid=stage][data-stage="9"]');
  await stage9.locator('[data-testid=stage-link]').waitFor({ timeout: 120_000 });
  assert.match(await stage9.innerText(), /Stage 9/);
  await page.screenshot({ path: join(RESULTS, 'vm-home.png'), fullPage: true });
  assert.deepEqual(errors, [], 'no script error on the page');
});

test('the VM suite passes (test/vm/*.vm.ts and the Stage 10 verifiers, run inside the VM)', async (t) => {
  const b = boot!;
  const began = await b.waitFor(/^@@LUXLAB-VM suite-begin$/, READY_TIMEOUT_MS, 'the VM suite to start').then(() => Date.now());
  const [, code] = await b.waitFor(/^@@LUXLAB-VM suite-exit (\d+)$/, SUITE_TIMEOUT_MS, 'the VM suite to finish');
  timings.push(`VM suite ${seconds(Date.now() - began)}`);
  const start = b.lines.indexOf(`${MARK}suite-begin`);
  const end = b.lines.findIndex((l) => l.startsWith(`${MARK}suite-exit`));
  const results = parseTap(b.lines.slice(start + 1, end));
  assert.ok(results.length > 0, 'the VM suite reported its tests');
  for (const r of results) {
    await t.test(r.name, { skip: r.skip ?? false, todo: r.todo ?? false }, (tt) => {
      for (const d of r.diagnostics) tt.diagnostic(d);
      const stack = r.details.findIndex((l) => l.startsWith('stack:'));
      if (!r.ok) assert.fail(`failed in the VM:\n${[...failedSubtests(r.nested), ...r.details.slice(0, stack < 0 ? undefined : stack)].join('\n')}`);
    });
  }
  assert.equal(code, '0', 'the VM suite exits 0');
});

test('the VM powers off', async () => {
  const b = boot!;
  b.send('poweroff');
  const asked = Date.now();
  await b.poweredOff(POWEROFF_TIMEOUT_MS);
  timings.push(`poweroff ${seconds(Date.now() - asked)}`);
  assert.equal(b.exit?.code, 0, `QEMU ended with ${b.describeExit()}`);
  assert.ok(b.lines.includes(`${MARK}poweroff`), 'the guest powered itself off');
});

test('vagrant halt, vagrant up: the workspace survives, so the URL stays the same', async () => {
  assert.ok(token && boot?.exit, 'the first boot ran and powered off');
  await boot.kill();
  boot = new Boot('boot2', port, 'up');
  const b = boot;
  const [, kept, enabled] = await b.waitFor(/^@@LUXLAB-VM token (.*) enabled=(\S+)$/, READY_TIMEOUT_MS, 'the second boot');
  timings.push(`second boot ${seconds(Date.now() - b.startedAt)}`);
  assert.equal(kept, token, 'the token of the first boot is still in /var/lib/luxlab/state/token');
  assert.equal(enabled, 'enabled', 'luxlab.service starts at every boot');
  await b.poweredOff(POWEROFF_TIMEOUT_MS);
  assert.equal(b.exit?.code, 0, `QEMU ended with ${b.describeExit()}`);
});
