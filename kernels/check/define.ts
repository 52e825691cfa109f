// How a challenge's verify.ts declares its check.
import type { CheckContext } from './context.ts';

export interface Verifier {
  /** Time limit for the whole verifier, cleanup excluded. */
  timeoutMs: number;
  run(t: CheckContext): Promise<void>;
}

export function defineCheck(fn: (t: CheckContext) => Promise<void>, opts: { timeoutMs?: number } = {}): Verifier {
  return { timeoutMs: opts.timeoutMs ?? 60_000, run: fn };
}

export function isVerifier(v: unknown): v is Verifier {
  return typeof v === 'object' && v !== null && typeof (v as Verifier).run === 'function' && typeof (v as Verifier).timeoutMs === 'number';
}
