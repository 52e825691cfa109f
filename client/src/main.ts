// Entry point: a tiny router over location.pathname. `/` is the home page, `/stage/<slug>` a
// notebook; the hash (`#uts-container`) is the challenge shown, which the notebook page owns.
// `/join` is where a workshop's participant link leads. Who the page is for (learner,
// instructor, participant) comes from GET /api/whoami before the first page is drawn.
import './styles.css';
import { h } from './dom.ts';
import { renderHome } from './home.ts';
import { renderJoin } from './join.ts';
import { renderNotebook } from './notebook.ts';
import { renderDoctor } from './doctor.ts';
import type { Page } from './page.ts';
import { loadWhoAmI, positionUrl, whoami, workshopHub } from './workshop.ts';

const app = document.getElementById('app')!;
let current: { path: string; page: Page } | null = null;
/** A participant's workshop ended: no page is shown any more. */
let ended = false;

function route(): void {
  if (ended) return;
  const path = location.pathname;
  if (current?.path === path) {
    current.page.onHashChange?.();
    return;
  }
  current?.page.dispose();
  app.replaceChildren();
  current = { path, page: pageFor(path) };
}

function pageFor(path: string): Page {
  if (path === '/' || path === '/index.html') return renderHome(app);
  if (path === '/join') return renderJoin(app, { joined });
  if (path === '/doctor') return renderDoctor(app);
  const stage = /^\/stage\/([^/]+)\/?$/.exec(path);
  if (stage) return renderNotebook(app, decodeURIComponent(stage[1]!));
  document.title = 'Not found · luxlab';
  app.append(h('p', { class: 'error' }, `No page at ${path}. `, h('a', { href: '/', 'data-route': true }, 'Back to the stages')));
  return { dispose() {} };
}

/** Links marked data-route change the page without reloading (so editors and terminals are not rebuilt twice). */
document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = (ev.target as Element | null)?.closest?.('a[data-route]');
  if (!(a instanceof HTMLAnchorElement) || a.origin !== location.origin) return;
  ev.preventDefault();
  if (a.pathname + a.hash !== location.pathname + location.hash) history.pushState(null, '', a.pathname + a.hash);
  route();
});

window.addEventListener('popstate', route);
// Pages save pending edits when the tab goes away (see editor autosave).
window.addEventListener('pagehide', () => current?.page.onLeave?.());

// Under `vite` (dev) the page itself comes from Vite, so the lab never sees ?token= on a page
// visit; hand it over through the API proxy, which sets the cookie too. (The lab's own page
// visits redirect the token away before this code runs.)
async function handOverDevToken(): Promise<void> {
  if (!import.meta.env.DEV) return;
  const token = new URLSearchParams(location.search).get('token');
  if (!token) return;
  await fetch(`/api/home?token=${encodeURIComponent(token)}`).catch(() => {});
  history.replaceState(null, '', location.pathname + location.hash);
}
/** Change the page without reloading (follow mode moves a participant this way). */
function navigate(url: string): void {
  if (url !== location.pathname + location.hash) history.pushState(null, '', url);
  route();
}

function showEnded(): void {
  ended = true;
  current?.page.dispose();
  current = null;
  document.title = 'The workshop has ended · luxlab';
  app.replaceChildren(
    h(
      'div',
      { class: 'workshop-ended', 'data-testid': 'workshop-ended', role: 'status' },
      h('h1', {}, 'The workshop has ended'),
      h('p', {}, 'The instructor ended it: its links no longer work. Your own lab, and everything you did in it, is unchanged.'),
    ),
  );
}

/** Workshop mode: the event socket and the shared terminal beside every page. */
function startWorkshop(): void {
  const me = whoami();
  if (!me.workshop || me.workshop.ended) return;
  if (me.role === 'participant' && !me.participant) return; // a name first (/join)
  workshopHub.start();
  if (me.role === 'participant') workshopHub.subscribe((live) => void (live.ended && !ended && showEnded()));
  void import('./workshop-dock.ts').then(({ startDock }) => {
    if (!workshopHub.live.ended) startDock({ navigate });
  });
}

/** The participant gave a name: the participant view, starting where the instructor is. */
async function joined(): Promise<void> {
  const me = await loadWhoAmI();
  if (me === 'ended') return showEnded();
  startWorkshop();
  const position = me.workshop?.position;
  navigate(position ? positionUrl(position) : '/');
}

async function start(): Promise<void> {
  await handOverDevToken();
  const me = await loadWhoAmI();
  if (me === 'ended') return showEnded();
  if (me.role === 'participant') {
    // Without a name, only /join; with one, /join has done its job.
    if (!me.participant && location.pathname !== '/join') history.replaceState(null, '', '/join');
    if (me.participant && location.pathname === '/join') history.replaceState(null, '', '/');
  }
  startWorkshop();
  route();
}
void start();
