// Runs one challenge's verifier: with the kernel lock, a time limit, cleanup that always runs,
// and a host guard around it. The lab server and `lux check` both come through here.
import { rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { AssertionResult, CheckEvent, CheckResult } from '../../common/check.ts';
import { mountinfo } from '../proc.ts';
import { CheckAbort, CheckContext } from './context.ts';
import { isVerifier } from './define.ts';
import { hostState, restoreHost, type GuardReport, type HostState } from './host-guard.ts';
import { SAVED_HOST_STATE, withCheckLock } from './lock.ts';

export interface RunCheckOptions {
  challengeId: string;
  verifierPath: string;
  binDir: string;
  binary: string;
  onEvent?: (e: CheckEvent) => void;
  /** Overrides the verifier's own time limit. */
  timeoutMs?: number;
}

export function runCheck(o: RunCheckOptions): Promise<CheckResult> {
  const emit = o.onEvent ?? (() => {});
  return withCheckLock(
    () => runLocked(o, emit),
    () => emit({ type: 'log', text: 'Waiting for another check on this kernel to finish…' }),
    (saved) => {
      if (!saved) return;
      const report = restoreHost(JSON.parse(saved) as HostState, { names: [], tmp: '/nonexistent' });
      for (const s of report.swept) emit({ type: 'log', text: `an earlier check died mid-way; restored: ${s}` });
    },
  );
}

async function runLocked(o: RunCheckOptions, emit: (e: CheckEvent) => void): Promise<CheckResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  emit({ type: 'start', challengeId: o.challengeId });
  const before = hostState();
  writeFileSync(SAVED_HOST_STATE, JSON.stringify(before)); // for the next check, should this process die
  const controller = new AbortController();
  const ctx = new CheckContext({
    binDir: o.binDir,
    binary: o.binary,
    signal: controller.signal,
    onAssertion: (assertion) => emit({ type: 'assertion', assertion }),
    onLog: (text) => emit({ type: 'log', text }),
  });

  let error: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const mod = (await import(pathToFileURL(o.verifierPath).href)) as { default?: unknown };
    if (!isVerifier(mod.default)) throw new Error(`${o.verifierPath} does not export default defineCheck(…)`);
    const verifier = mod.default;
    const limit = o.timeoutMs ?? verifier.timeoutMs;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), limit);
    });
    const outcome = await Promise.race([verifier.run(ctx), timeout]);
    if (outcome === 'timeout') {
      controller.abort();
      ctx.assert({
        id: 'check-timeout',
        title: 'The check finishes in time',
        pass: false,
        expected: `done within ${limit / 1000} s`,
        observed: 'time limit reached: everything the check started was killed',
        hint: 'A program under test hung (or waited for input that never came).',
      });
    }
  } catch (err) {
    if (!(err instanceof CheckAbort)) error = (err as Error).stack ?? String(err);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }

  const cleanupErrors = await ctx.cleanup();
  let guard: GuardReport;
  try {
    guard = restoreHost(before, { names: ctx.names, tmp: ctx.tmp });
  } catch (err) {
    // A bug in the guard must not lose the result: report it, the leak tests will show the rest.
    error ??= `host guard failed: ${(err as Error).stack ?? String(err)}`;
    guard = { swept: [], leaked: [], hostnameChangedTo: null };
  }
  if (guard.hostnameChangedTo !== null) {
    ctx.assert({
      id: 'host-hostname-unchanged',
      title: "The host's hostname is unchanged",
      pass: false,
      expected: before.hostname,
      observed: `${guard.hostnameChangedTo} (restored by the lab)`,
      hint: 'sethostname(2) changes the UTS namespace the caller is in: unshare CLONE_NEWUTS first.',
    });
  }
  removeScratch(ctx.tmp, guard.leaked);
  if (guard.leaked.length) {
    ctx.assert({
      id: 'host-left-clean',
      title: 'Nothing is left on the host',
      pass: false,
      expected: 'the host as it was before the check',
      observed: `still there: ${guard.leaked.join('; ')}`,
      hint: 'Something made during the check outlived it (by your program, or in a terminal meanwhile). Remove it, and make the program clean up after itself.',
    });
  }

  const failed = ctx.assertions.some((a: AssertionResult) => !a.pass);
  const result: CheckResult = {
    challengeId: o.challengeId,
    status: error ? 'error' : failed || ctx.assertions.length === 0 ? 'failed' : 'passed',
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    binaryMs: Math.round(ctx.binaryMs),
    assertions: ctx.assertions,
    swept: [...guard.swept, ...cleanupErrors],
    ...(ctx.diagram ? { diagram: ctx.diagram } : {}),
    ...(ctx.topology ? { topology: ctx.topology } : {}),
    ...(ctx.cgroups ? { cgroups: ctx.cgroups } : {}),
    ...(error ? { error } : {}),
  };
  emit({ type: 'end', result });
  return result;
}

/** rm -rf the scratch folder, but never through a mount that is still there. */
function removeScratch(tmp: string, leaked: string[]): void {
  if (mountinfo('self').some((m) => m.mountPoint.startsWith(tmp))) {
    leaked.push(`scratch folder ${tmp} (a mount under it could not be removed)`);
    return;
  }
  rmSync(tmp, { recursive: true, force: true });
}
