// Check results: produced by kernels/check, streamed to the page and to `lux check --json`,
// saved under the workspace's state folder.
import type { CgroupSnapshot, NamespaceSnapshot, TopologySnapshot } from './diagram.ts';

export interface AssertionResult {
  id: string; // stable, so fixtures can name the assertion they must fail
  title: string;
  pass: boolean;
  expected: string;
  observed: string;
  hint?: string; // shown on failure
}

/** unavailable: not run, because this kernel lacks a feature the check needs (see `unavailable`). */
export type CheckStatus = 'passed' | 'failed' | 'error' | 'unavailable';

export interface CheckResult {
  challengeId: string;
  status: CheckStatus;
  startedAt: string;
  durationMs: number;
  /** Wall time spent in the learner's binaries (for the check-overhead benchmark). */
  binaryMs: number;
  assertions: AssertionResult[];
  /** Leftovers the runner had to remove after the verifier's own cleanup. */
  swept: string[];
  /** Namespace state the verifier observed (the check cell draws it). */
  diagram?: NamespaceSnapshot;
  /** Network topology the verifier observed (Stage 11; the check cell draws it). */
  topology?: TopologySnapshot;
  /** The cgroup tree the verifier observed (Stage 10; the check cell draws it). */
  cgroups?: CgroupSnapshot;
  error?: string;
  /** Why the check was not run: one line per missing feature, as `lux doctor` says it. */
  unavailable?: string[];
}

export type CheckEvent =
  | { type: 'start'; challengeId: string }
  | { type: 'log'; text: string }
  | { type: 'assertion'; assertion: AssertionResult }
  | { type: 'end'; result: CheckResult };
