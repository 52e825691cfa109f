// The participant's side of the progress board: their own lab, once told the workshop link,
// sends each check result (and nothing else but the display name) to the instructor's lab.
import { readFileSync } from 'node:fs';
import type { CheckResult } from '../../common/check.ts';
import type { Challenge } from '../../common/notebook.ts';
import type { ProgressReport } from '../../common/workshop.ts';
import { writeAtomic, type Workspace } from '../workspace.ts';

export interface ReportTarget {
  url: string; // the participant link: http://instructor:8080/join?token=…
  name: string;
}

const file = (ws: Workspace) => ws.inside('state', 'workshop-report.json');

export function reportTarget(ws: Workspace): ReportTarget | null {
  try {
    return JSON.parse(readFileSync(file(ws), 'utf8')) as ReportTarget;
  } catch {
    return null;
  }
}

/** Validate and store the link; null stops reporting. */
export function setReportTarget(ws: Workspace, target: ReportTarget | null): void {
  if (target) {
    const u = new URL(target.url); // throws on garbage
    if (!['http:', 'https:'].includes(u.protocol) || !u.searchParams.get('token')) throw new Error('paste the participant link the instructor gave (it ends in ?token=…)');
  }
  writeAtomic(file(ws), JSON.stringify(target));
}

export function progressOf(challenge: Challenge, result: CheckResult, name: string): ProgressReport {
  const failing = result.assertions.find((a) => !a.pass);
  return {
    name,
    challengeId: challenge.id,
    number: challenge.number,
    status: result.status,
    at: result.startedAt,
    ...(failing ? { failing: { id: failing.id, title: failing.title } } : {}),
  };
}

/** Send one result; never throws (the board is a convenience, the check is what matters). */
export async function reportProgress(ws: Workspace, challenge: Challenge, result: CheckResult): Promise<string | null> {
  const target = reportTarget(ws);
  if (!target) return null;
  try {
    const link = new URL(target.url);
    const res = await fetch(new URL('/api/workshop/progress', link.origin), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${link.searchParams.get('token')}` },
      body: JSON.stringify(progressOf(challenge, result, target.name)),
      signal: AbortSignal.timeout(3000),
    });
    return res.ok ? null : `the workshop refused the report (${res.status})`;
  } catch (err) {
    return `could not reach the workshop: ${(err as Error).message}`;
  }
}
