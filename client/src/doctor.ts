// The doctor page: what this kernel offers for each stage (the same report as `lux doctor`).
import type { DoctorReport } from '../../common/features.ts';
import { errorText, getJson } from './api.ts';
import { formatTime, h } from './dom.ts';
import type { Page } from './page.ts';

export function renderDoctor(root: HTMLElement): Page {
  document.title = 'This machine · luxlab';
  const page = h('div', { class: 'doctor', 'data-testid': 'doctor' }, h('p', { class: 'muted' }, 'Probing the kernel…'));
  root.append(page);
  let alive = true;
  getJson<DoctorReport>('/api/doctor').then(
    (r) => alive && page.replaceChildren(...content(r)),
    (e) => alive && page.replaceChildren(h('p', { class: 'error', role: 'alert' }, `Could not probe: ${errorText(e)}`)),
  );
  return {
    dispose() {
      alive = false;
    },
  };
}

function content(r: DoctorReport): Node[] {
  const byId = new Map(r.features.map((f) => [f.id, f]));
  return [
    h('p', {}, h('a', { href: '/', 'data-route': true }, '← All stages')),
    h('h1', {}, 'What this machine offers'),
    h('p', { class: 'muted' }, `Linux ${r.kernel}, probed ${formatTime(r.takenAt)}. A check that needs a missing feature is not run, and says why.`),
    h(
      'table',
      { class: 'features' },
      h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'feature'), h('th', {}, 'what was found'))),
      h(
        'tbody',
        {},
        ...r.features.map((f) =>
          h(
            'tr',
            { 'data-testid': 'feature', 'data-id': f.id, 'data-available': String(f.available) },
            h('td', { class: f.available ? 'pass' : 'fail' }, f.available ? '✓ yes' : '✗ no'),
            h('td', {}, f.title),
            h('td', {}, h('code', {}, f.detail)),
          ),
        ),
      ),
    ),
    h('h2', {}, 'By stage'),
    h(
      'ul',
      { class: 'stage-needs' },
      ...r.stages.map((s) =>
        h(
          'li',
          {},
          h('strong', {}, `Stage ${s.stage} ${s.title}: `),
          s.missing.length
            ? `checks needing ${s.missing.map((m) => byId.get(m)?.title ?? m).join(', ')} will not run here`
            : 'everything its checks need is here',
        ),
      ),
    ),
  ];
}
