// How a challenge's progress reads on the page: always an icon *and* words, never colour alone.
import type { ChallengeProgress } from '../../common/notebook.ts';
import type { CheckResult } from '../../common/check.ts';
import { formatTime, h } from './dom.ts';

export type ProgressStatus = ChallengeProgress['status'];

const LABEL: Record<ProgressStatus, { icon: string; text: string }> = {
  passed: { icon: '✓', text: 'passed' },
  failed: { icon: '✗', text: 'failed' },
  'not-tried': { icon: '○', text: 'not tried' },
};

export function statusBadge(p: ChallengeProgress | undefined, opts: { withTime?: boolean } = {}): HTMLElement {
  const status = p?.status ?? 'not-tried';
  const { icon, text } = LABEL[status];
  const badge = h(
    'span',
    { class: `status status-${status}`, 'data-status': status, title: p?.at ? `last check ${formatTime(p.at)}` : undefined },
    h('span', { class: 'status-icon', 'aria-hidden': 'true' }, icon),
    ' ',
    text,
  );
  if (opts.withTime && p?.at) badge.append(h('span', { class: 'status-time' }, ` · ${formatTime(p.at)}`));
  return badge;
}

/** A check that errored did not pass: for progress it counts as failed. */
export function progressOf(result: CheckResult): ChallengeProgress {
  return { status: result.status === 'passed' ? 'passed' : 'failed', at: result.startedAt };
}
