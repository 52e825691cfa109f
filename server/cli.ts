// `lux`: the lab from the command line. `lux check` runs the same verifier as the Check button.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AssertionResult, CheckEvent } from '../common/check.ts';
import { ensureRootfs } from '../kernels/rootfs.ts';
import { Lab, UnknownChallenge } from './lab.ts';

const USAGE = `usage:
  lux list [--json]                          every challenge: id, number, stage, binary
  lux check <challenge> [--bin DIR] [--json] run a challenge's verifier against the live kernel
  lux build <challenge>                      go build the workspace's main.go
  lux doctor [--json]                        what this kernel offers, for each stage
  lux rootfs                                 build the busybox rootfs (cached) and print its path
Options: --workspace DIR (default $LUX_WORKSPACE or /var/lib/luxlab: the lab's workspace).
Challenges are named by id (netns-create) or number (5.1). Checks need root.
Exit codes of check: 0 passed, 1 failed, 2 usage error, 4 not run on this machine.`;

const color = process.stdout.isTTY ? (c: number, s: string) => `\x1b[${c}m${s}\x1b[0m` : (_: number, s: string) => s;

function printAssertion(a: AssertionResult): void {
  console.log(`${a.pass ? color(32, '✔ pass') : color(31, '✘ FAIL')}  ${a.title}  [${a.id}]`);
  if (!a.pass) {
    console.log(`         expected: ${a.expected.replace(/\n/g, '\n                   ')}`);
    console.log(`         observed: ${a.observed.replace(/\n/g, '\n                   ')}`);
    if (a.hint) console.log(`         hint:     ${a.hint}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, bin: { type: 'string' }, help: { type: 'boolean', short: 'h' }, workspace: { type: 'string' } },
  });
  const [command, target] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const lab = new Lab({ workspaceRoot: values.workspace });
  for (const e of lab.catalog.errors) console.error(`notebook refused: ${e.file}:${e.line}: ${e.reason}`);

  switch (command) {
    case 'list': {
      const rows = lab.catalog.stages.flatMap((s) => s.challenges.map((c) => ({ id: c.id, number: c.number, stage: c.stage, binary: c.binary, title: c.title })));
      if (values.json) console.log(JSON.stringify(rows, null, 2));
      else for (const r of rows) console.log(`${r.number.padEnd(5)} ${r.id.padEnd(22)} stage ${r.stage}  ${r.binary.padEnd(16)} ${r.title}`);
      return 0;
    }
    case 'check': {
      if (!target) throw new UsageError('lux check needs a challenge');
      const binDir = values.bin === undefined ? undefined : resolve(values.bin);
      if (binDir && !statSync(binDir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--bin ${values.bin}: not a directory`);
      if (!binDir && !values.json) console.log(color(2, `  workspace: ${lab.workspace.root}`));
      const onEvent = values.json
        ? undefined
        : (e: CheckEvent) => {
            if (e.type === 'assertion') printAssertion(e.assertion);
            if (e.type === 'log') console.log(color(2, `  ${e.text}`));
          };
      const result = await lab.check(target, { binDir, onEvent });
      if (values.json) console.log(JSON.stringify(result, null, 2));
      else {
        if (result.error) console.log(color(31, `error in the check itself:\n${result.error}`));
        for (const u of result.unavailable ?? []) console.log(color(33, `not run on this machine: ${u}`));
        for (const s of result.swept) console.log(color(2, `  cleaned up after the program: ${s}`));
        const passed = result.assertions.filter((a) => a.pass).length;
        console.log(`${result.status === 'passed' ? color(32, 'PASSED') : color(31, result.status.toUpperCase())}  ${passed}/${result.assertions.length} assertions, ${(result.durationMs / 1000).toFixed(1)} s`);
      }
      // 4: not run here (a missing kernel feature is not the learner's failure).
      return result.status === 'passed' ? 0 : result.status === 'unavailable' ? 4 : 1;
    }
    case 'build': {
      if (!target) throw new UsageError('lux build needs a challenge');
      const b = await lab.build(target);
      if (b.output) console.log(b.output);
      console.log(b.ok ? `built ${b.binary}` : 'build failed');
      return b.ok ? 0 : 1;
    }
    case 'doctor': {
      const report = lab.doctor();
      if (values.json) {
        console.log(JSON.stringify(report, null, 2));
        return 0;
      }
      console.log(`kernel ${report.kernel}\n`);
      for (const f of report.features) console.log(`${f.available ? color(32, '✔') : color(31, '✘')} ${f.title.padEnd(36)} ${f.detail}`);
      console.log('');
      for (const s of report.stages) {
        const state = s.missing.length ? color(33, `partly: missing ${s.missing.join(', ')}`) : color(32, 'everything its checks need');
        console.log(`Stage ${s.stage} ${s.title.padEnd(28)} ${state}`);
      }
      return 0;
    }
    case 'rootfs':
      console.log(ensureRootfs());
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof UnknownChallenge || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`lux: ${(err as Error).message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(3);
  },
);
