// A stage's notebook: the table of contents on the side and one challenge section at a time,
// with the challenge shown kept in the URL's hash (`/stage/09-namespaces#netns-create`).
import type { CheckResult } from '../../common/check.ts';
import type { Challenge, ChallengeProgress, HomeView, Stage } from '../../common/notebook.ts';
import { errorText, getJson } from './api.ts';
import { renderCell } from './cells/render.ts';
import { Section, type Cell } from './cells/section.ts';
import { h, trustedHtml } from './dom.ts';
import type { Page } from './page.ts';
import { progressOf, statusBadge } from './status.ts';
import { reportPosition } from './workshop.ts';

export function renderNotebook(root: HTMLElement, slug: string): Page {
  document.title = 'luxlab';
  const page = h('div', { class: 'notebook-page' }, h('p', { class: 'muted' }, 'Loading the notebook…'));
  root.append(page);
  let view: NotebookView | null = null;
  let alive = true;
  Promise.all([getJson<Stage>(`/api/stages/${encodeURIComponent(slug)}`), getJson<HomeView>('/api/home').catch(() => null)]).then(
    ([stage, home]) => {
      if (!alive) return;
      const progress = home?.stages.find((s) => s.slug === stage.slug)?.progress ?? {};
      view = new NotebookView(page, stage, progress);
    },
    (e) => {
      if (!alive) return;
      page.replaceChildren(
        h('p', { class: 'error', role: 'alert' }, `Could not load the notebook “${slug}”: ${errorText(e)}. `, h('a', { href: '/', 'data-route': true }, 'Back to the stages')),
      );
    },
  );
  return {
    dispose() {
      alive = false;
      view?.dispose();
    },
    onHashChange: () => view?.showFromHash(),
    onLeave: () => view?.leave(),
  };
}

interface RenderedSection {
  el: HTMLElement;
  cells: Cell[];
  badge: HTMLElement;
}

class NotebookView {
  private readonly tocLinks = new Map<string, HTMLAnchorElement>();
  /** Sections are built the first time they are shown and then kept, so a learner going back
   * finds the editor's undo history, the terminal's scrollback and the check's results. */
  private readonly sections = new Map<string, RenderedSection>();
  private readonly sectionsHost = h('div', { class: 'sections' });
  private readonly prevBtn = h('button', { type: 'button', class: 'step', 'data-testid': 'prev' }, '');
  private readonly nextBtn = h('button', { type: 'button', class: 'step', 'data-testid': 'next' }, '');
  private readonly position = h('span', { class: 'step-position', 'data-testid': 'position' }, '');
  private readonly intro: HTMLDetailsElement;
  private readonly progress: Map<string, ChallengeProgress>;
  private current: Challenge | null = null;

  constructor(
    page: HTMLElement,
    private readonly stage: Stage,
    progressByNumber: Record<string, ChallengeProgress>,
  ) {
    this.progress = new Map(stage.challenges.map((c) => [c.id, progressByNumber[c.number] ?? { status: 'not-tried' }]));
    this.intro = h('details', { class: 'stage-intro', 'data-testid': 'stage-intro' }, h('summary', {}, `About stage ${stage.stage}`), trustedHtml('div', 'prose', stage.introHtml));
    this.intro.open = !location.hash;
    this.prevBtn.addEventListener('click', () => this.step(-1));
    this.nextBtn.addEventListener('click', () => this.step(1));

    page.replaceChildren(
      this.toc(),
      h(
        'article',
        { class: 'notebook-main' },
        h('h1', {}, h('span', { class: 'stage-number' }, `Stage ${stage.stage}`), ' ', stage.title),
        this.intro,
        stage.challenges.length ? this.sectionsHost : h('p', { class: 'muted' }, 'This stage has no challenges yet.'),
        h('nav', { class: 'stepper', 'aria-label': 'Challenge steps' }, this.prevBtn, this.position, this.nextBtn),
      ),
    );
    this.showFromHash();
  }

  /** Show the challenge the hash names (its id, or its curriculum number as the home page links). */
  showFromHash(): void {
    const wanted = decodeURIComponent(location.hash.slice(1));
    const challenge = this.stage.challenges.find((c) => c.id === wanted) ?? this.stage.challenges.find((c) => c.number === wanted) ?? this.stage.challenges[0];
    if (!challenge) return;
    if (wanted !== challenge.id) history.replaceState(null, '', `${location.pathname}#${challenge.id}`);
    this.show(challenge);
  }

  leave(): void {
    for (const s of this.sections.values()) for (const c of s.cells) c.leave?.();
  }

  dispose(): void {
    for (const s of this.sections.values()) for (const c of s.cells) c.dispose?.();
    this.sections.clear();
  }

  private goTo(challenge: Challenge): void {
    if (challenge.id !== this.current?.id) history.pushState(null, '', `${location.pathname}#${challenge.id}`);
    this.show(challenge);
    const top = this.sections.get(challenge.id)?.el;
    if (top && top.getBoundingClientRect().top < 0) top.scrollIntoView({ block: 'start' });
  }

  private step(delta: number): void {
    const i = this.stage.challenges.findIndex((c) => c.id === this.current?.id);
    const next = this.stage.challenges[i + delta];
    if (next) this.goTo(next);
  }

  private show(challenge: Challenge): void {
    this.current = challenge;
    const rendered = this.sections.get(challenge.id) ?? this.renderSection(challenge);
    for (const [id, s] of this.sections) s.el.hidden = id !== challenge.id;
    for (const [id, a] of this.tocLinks) {
      if (id === challenge.id) a.setAttribute('aria-current', 'step');
      else a.removeAttribute('aria-current');
    }
    for (const c of rendered.cells) c.shown?.();

    const list = this.stage.challenges;
    const i = list.indexOf(challenge);
    const prev = list[i - 1];
    const next = list[i + 1];
    this.prevBtn.disabled = !prev;
    this.prevBtn.textContent = prev ? `← ${prev.number} ${prev.title}` : '← Previous';
    this.nextBtn.disabled = !next;
    this.nextBtn.textContent = next ? `${next.number} ${next.title} →` : 'Next →';
    this.position.textContent = `${i + 1} of ${list.length}`;
    document.title = `${challenge.number} ${challenge.title} · Stage ${this.stage.stage} · luxlab`;
    reportPosition({ slug: this.stage.slug, challenge: challenge.id }); // in a workshop, for those who follow
  }

  private renderSection(challenge: Challenge): RenderedSection {
    const section = new Section(challenge, (r) => this.recordResult(challenge, r));
    const badge = statusBadge(this.progress.get(challenge.id), { withTime: true });
    const el = h(
      'section',
      { class: 'challenge', 'data-testid': 'challenge', 'data-challenge': challenge.id, 'aria-labelledby': `h-${challenge.id}` },
      h(
        'header',
        { class: 'challenge-header' },
        h('h2', { id: `h-${challenge.id}` }, h('span', { class: 'challenge-number' }, challenge.number), ' ', challenge.title),
        badge,
        h('p', { class: 'usage' }, 'Usage: ', h('code', {}, challenge.usage || challenge.binary)),
      ),
    );
    const cells = challenge.cells.map((cell) => renderCell(section, cell));
    el.append(...cells.map((c) => c.el));
    this.sectionsHost.append(el);
    const rendered = { el, cells, badge };
    this.sections.set(challenge.id, rendered);
    return rendered;
  }

  private recordResult(challenge: Challenge, result: CheckResult): void {
    const p = progressOf(result);
    this.progress.set(challenge.id, p);
    this.tocLinks.get(challenge.id)?.querySelector('.status')?.replaceWith(statusBadge(p));
    const s = this.sections.get(challenge.id);
    if (s) {
      const badge = statusBadge(p, { withTime: true });
      s.badge.replaceWith(badge);
      s.badge = badge;
    }
  }

  private toc(): HTMLElement {
    const items = this.stage.challenges.map((c) => {
      const a = h(
        'a',
        { href: `#${encodeURIComponent(c.id)}`, 'data-challenge': c.id, 'data-testid': 'toc-link' },
        h('span', { class: 'challenge-number' }, c.number),
        h('span', { class: 'toc-title' }, c.title),
        statusBadge(this.progress.get(c.id)),
      );
      a.addEventListener('click', (ev) => {
        ev.preventDefault();
        this.goTo(c);
      });
      this.tocLinks.set(c.id, a);
      return h('li', {}, a);
    });
    return h(
      'nav',
      { class: 'toc', 'data-testid': 'toc', 'aria-label': `Challenges of stage ${this.stage.stage}` },
      h('a', { href: '/', 'data-route': true, class: 'back' }, '← All stages'),
      h('h2', {}, `Stage ${this.stage.stage}: ${this.stage.title}`),
      h('ol', {}, ...items),
    );
  }
}
