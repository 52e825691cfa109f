// Entry point: a tiny router over location.pathname. `/` is the home page, `/stage/<slug>` a
// notebook; the hash (`#uts-container`) is the challenge shown, which the notebook page owns.
import './styles.css';
import { h } from './dom.ts';
import { renderHome } from './home.ts';
import { renderNotebook } from './notebook.ts';
import { renderDoctor } from './doctor.ts';
import type { Page } from './page.ts';

const app = document.getElementById('app')!;
let current: { path: string; page: Page } | null = null;

function route(): void {
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
void handOverDevToken().then(route);
