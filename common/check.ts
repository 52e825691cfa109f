// Check results: produced by kernels/check, streamed to the page and to `lux check --json`,
// saved under the workspace's state folder.
import type { NamespaceSnapshot } from './diagram.ts';

export interface AssertionResult {
  id: string; // stable, so fixtures can name the assertion they must fail
  title: string;
  pass: boolean;
  expected: string;
  observed: string;
  hint?: string; // shown on failure
}

export type CheckStatus = 'passed' | 'failed' | 'error';

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
  error?: string;
}

export type CheckEvent =
  | { type: 'start'; challengeId: string }
  | { type: 'log'; text: string }
  | { type: 'assertion'; assertion: AssertionResult }
  | { type: 'end'; result: CheckResult };
