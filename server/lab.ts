// The lab's operations, shared by the HTTP server and the `lux` command line: one code path.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildResult, CodeView } from '../common/api.ts';
import type { CheckEvent, CheckResult } from '../common/check.ts';
import type { ChallengeProgress, HomeView } from '../common/notebook.ts';
import { goBuild } from '../kernels/go/build.ts';
import { runCheck } from '../kernels/check/runner.ts';
import { kernelRelease, probeFeatures } from '../kernels/probes/features.ts';
import { STAGE_NEEDS, type DoctorReport } from '../common/features.ts';
import { loadCatalog, type Catalog, type ChallengeSource } from './notebooks/load.ts';
import { Workspace } from './workspace.ts';
import { reportProgress } from './workshop/reporter.ts';

export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../..');

export interface LabOptions {
  notebooksDir?: string;
  workspaceRoot?: string;
}

export class UnknownChallenge extends Error {
  constructor(readonly id: string) {
    super(`unknown challenge "${id}" (lux list shows them)`);
  }
}

export class Lab {
  readonly catalog: Catalog;
  readonly workspace: Workspace;

  constructor(opts: LabOptions = {}) {
    this.catalog = loadCatalog(opts.notebooksDir ?? join(REPO_ROOT, 'notebooks'), REPO_ROOT);
    this.workspace = new Workspace(opts.workspaceRoot);
  }

  /** By id ("netns-create") or curriculum number ("5.1"). */
  challenge(idOrNumber: string): ChallengeSource {
    const byId = this.catalog.challenges.get(idOrNumber);
    if (byId) return byId;
    for (const s of this.catalog.challenges.values()) if (s.challenge.number === idOrNumber) return s;
    throw new UnknownChallenge(idOrNumber);
  }

  code(id: string): CodeView {
    const s = this.challenge(id);
    return this.workspace.code(s.challenge.id, readFileSync(s.starter, 'utf8'));
  }

  save(id: string, code: string): CodeView {
    return this.workspace.save(this.challenge(id).challenge.id, code);
  }

  reset(id: string): CodeView {
    const s = this.challenge(id);
    return this.workspace.reset(s.challenge.id, readFileSync(s.starter, 'utf8'));
  }

  solution(id: string): string {
    return readFileSync(this.challenge(id).solution, 'utf8');
  }

  async build(id: string): Promise<BuildResult> {
    const { challenge } = this.challenge(id);
    this.code(challenge.id); // creates main.go and go.mod on first use
    return goBuild(this.workspace.challengeDir(challenge.id), join(this.workspace.binDir(challenge.id), challenge.binary));
  }

  /**
   * Run the challenge's verifier. Without binDir it checks the workspace's build, building
   * first when main.go is newer; the result then counts as the learner's progress.
   */
  async check(id: string, opts: { binDir?: string; onEvent?: (e: CheckEvent) => void } = {}): Promise<CheckResult> {
    const s = this.challenge(id);
    const cid = s.challenge.id;
    if (!s.verifier) throw new Error(`challenge ${cid} has no check`);
    const missing = probeFeatures(s.challenge.requires).filter((f) => !f.available);
    if (missing.length) return this.unavailable(cid, missing.map((f) => `${f.title}: ${f.detail}`), opts.onEvent);
    if (!opts.binDir) {
      this.code(cid);
      if (this.workspace.needsBuild(cid, s.challenge.binary)) {
        opts.onEvent?.({ type: 'log', text: `main.go changed since the last build: go build -o ${s.challenge.binary}` });
        const b = await this.build(cid);
        if (!b.ok) return this.buildFailed(cid, b, opts.onEvent);
      }
    }
    const result = await runCheck({
      challengeId: cid,
      verifierPath: s.verifier,
      binDir: opts.binDir ?? this.workspace.binDir(cid),
      binary: s.challenge.binary,
      onEvent: opts.onEvent,
    });
    if (!opts.binDir) {
      this.workspace.saveResult(result);
      const problem = await reportProgress(this.workspace, s.challenge, result);
      if (problem) opts.onEvent?.({ type: 'log', text: `workshop board: ${problem}` });
    }
    return result;
  }

  /** Not run: this kernel lacks what the check needs. Not saved as progress either way. */
  private unavailable(id: string, reasons: string[], onEvent?: (e: CheckEvent) => void): CheckResult {
    const result: CheckResult = { challengeId: id, status: 'unavailable', startedAt: new Date().toISOString(), durationMs: 0, binaryMs: 0, assertions: [], swept: [], unavailable: reasons };
    onEvent?.({ type: 'start', challengeId: id });
    for (const text of reasons) onEvent?.({ type: 'log', text: `not run here: ${text}` });
    onEvent?.({ type: 'end', result });
    return result;
  }

  /** What this kernel offers, and which stages can be checked here (lux doctor). */
  doctor(): DoctorReport {
    const features = probeFeatures();
    const available = new Set(features.filter((f) => f.available).map((f) => f.id));
    return {
      takenAt: new Date().toISOString(),
      kernel: kernelRelease(),
      features,
      stages: this.catalog.curriculum.map((s) => {
        const needs = STAGE_NEEDS[s.stage] ?? [];
        return { stage: s.stage, title: s.title, needs, missing: needs.filter((n) => !available.has(n)) };
      }),
    };
  }

  private buildFailed(id: string, b: BuildResult, onEvent?: (e: CheckEvent) => void): CheckResult {
    const assertion = {
      id: 'build',
      title: 'main.go compiles',
      pass: false,
      expected: 'go build succeeds',
      observed: b.output.split('\n').slice(0, 5).join('\n'),
      hint: 'Fix the compiler errors marked in the editor, then check again.',
    };
    onEvent?.({ type: 'start', challengeId: id });
    onEvent?.({ type: 'assertion', assertion });
    const result: CheckResult = { challengeId: id, status: 'failed', startedAt: new Date().toISOString(), durationMs: b.durationMs, binaryMs: 0, assertions: [assertion], swept: [] };
    onEvent?.({ type: 'end', result });
    this.workspace.saveResult(result);
    return result;
  }

  home(opts: { withProgress?: boolean } = {}): HomeView {
    const byStage = new Map(this.catalog.stages.map((s) => [s.stage, s]));
    return {
      notebookErrors: this.catalog.errors,
      stages: this.catalog.curriculum.map((cs) => {
        const stage = byStage.get(cs.stage);
        const progress: Record<string, ChallengeProgress> = {};
        for (const c of stage?.challenges ?? []) {
          const r = opts.withProgress === false ? null : this.workspace.lastResult(c.id);
          progress[c.number] = r ? { status: r.status === 'passed' ? 'passed' : 'failed', at: r.startedAt } : { status: 'not-tried' };
        }
        return { ...cs, slug: stage?.slug ?? null, progress };
      }),
    };
  }
}
