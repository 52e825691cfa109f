// The home page: every stage of the curriculum, its challenges and the learner's progress.
import type { HomeView, NotebookError } from '../../common/notebook.ts';
import { errorText, getJson } from './api.ts';
import { formatTime, h } from './dom.ts';
import type { Page } from './page.ts';
import { reportToSettings } from './report-to.ts';
import { statusBadge } from './status.ts';
import { role } from './workshop.ts';

export function renderHome(root: HTMLElement): Page {
  document.title = 'luxlab';
  const page = h('div', { class: 'home', 'data-testid': 'home' }, h('p', { class: 'muted' }, 'Loading the stages…'));
  root.append(page);
  let alive = true;
  let room: { dispose(): void } | null = null;
  getJson<HomeView>('/api/home').then(
    (view) => {
      if (!alive) return;
      page.replaceChildren(...homeContent(view));
      if (role() === 'instructor') {
        // Workshop mode: the room (links, participants, board) above the stages.
        void import('./workshop-room.ts').then(({ renderRoom }) => {
          if (!alive) return;
          const r = renderRoom(view);
          room = r;
          page.prepend(r.el);
          if (location.hash === '#workshop-room') r.el.scrollIntoView();
        });
      }
    },
    (e) => alive && page.replaceChildren(h('p', { class: 'error', role: 'alert' }, `Could not load the stages: ${errorText(e)}`)),
  );
  return {
    dispose() {
      alive = false;
      room?.dispose();
    },
  };
}

function homeContent(view: HomeView): Node[] {
  const participant = role() === 'participant';
  const nodes: Node[] = [
    h('h1', {}, 'Stages'),
    participant
      ? h('p', { class: 'muted', 'data-testid': 'participant-intro' }, 'You are following a workshop: these are the instructor\u2019s notebooks, to read. Do the exercises in your own lab.')
      : h('p', { class: 'muted' }, 'Some checks need kernel features this machine may lack: ', h('a', { href: '/doctor', 'data-route': true, 'data-testid': 'doctor-link' }, 'see what it offers'), '.'),
  ];
  if (view.notebookErrors.length) nodes.push(notebookErrors(view.notebookErrors));
  const list = h('ol', { class: 'stage-list' });
  for (const stage of view.stages) {
    const coming = stage.slug === null;
    const href = coming ? null : `/stage/${encodeURIComponent(stage.slug!)}`;
    const heading = h(
      'h2',
      {},
      h('span', { class: 'stage-number' }, `Stage ${stage.stage}`),
      ' ',
      href ? h('a', { href, 'data-route': true, 'data-testid': 'stage-link' }, stage.title) : stage.title,
      coming ? h('span', { class: 'coming', 'data-testid': 'coming' }, 'coming') : null,
    );
    const rows = stage.challenges.map((c) =>
      h(
        'li',
        { class: 'challenge-row', 'data-testid': 'home-challenge', 'data-number': c.number },
        h('span', { class: 'challenge-number' }, c.number),
        href ? h('a', { href: `${href}#${encodeURIComponent(c.number)}`, 'data-route': true }, c.title) : h('span', {}, c.title),
        coming ? null : statusBadge(stage.progress[c.number]),
        h(
          'span',
          { class: 'challenge-meta' },
          h('code', { class: 'binary' }, c.binary),
          stage.progress[c.number]?.at ? ` · last check ${formatTime(stage.progress[c.number]!.at!)}` : null,
        ),
      ),
    );
    list.append(
      h('li', { class: `stage-card${coming ? ' is-coming' : ''}`, 'data-testid': 'stage', 'data-stage': stage.stage }, heading, h('ul', { class: 'challenge-list' }, ...rows)),
    );
  }
  nodes.push(list);
  if (role() === 'learner') nodes.push(reportToSettings());
  return nodes;
}

function notebookErrors(errors: NotebookError[]): HTMLElement {
  return h(
    'section',
    { class: 'warning', role: 'alert', 'data-testid': 'notebook-errors' },
    h('h2', {}, `⚠ ${errors.length === 1 ? 'A notebook was' : `${errors.length} notebooks were`} not loaded`),
    h('ul', {}, ...errors.map((e) => h('li', {}, h('code', {}, `${e.file}:${e.line}`), `: ${e.reason}`))),
  );
}
