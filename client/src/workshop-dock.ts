// The workshop dock, beside every page in workshop mode: the instructor's shared terminal
// (/ws/shared). The instructor types in it; a participant watches it, read-only unless handed
// the keyboard, and can follow the instructor from challenge to challenge. Loaded by dynamic
// import: only workshop pages download xterm here.
import { errorText, sendJson } from './api.ts';
import { h } from './dom.ts';
import type { TerminalSession, TerminalState } from './terminal.ts';
import { positionUrl, whoami, workshopHub, type WorkshopLive } from './workshop.ts';

const FOLLOW_KEY = 'luxlab.follow';
/** After the shared shell exits, look for the instructor's new one this often. */
const VIEWER_REATTACH_MS = 3000;

export interface Dock {
  dispose(): void;
}

export function startDock(opts: { navigate(url: string): void }): Dock {
  const me = whoami();
  const instructor = me.role === 'instructor';
  const state = h('span', { class: 'terminal-state', 'data-testid': 'shared-state', role: 'status' }, 'starting…');
  const keyboard = h('p', { class: 'dock-keyboard', 'data-testid': 'keyboard-holder', 'aria-live': 'polite' }, '');
  const host = h('div', { class: 'terminal-host dock-terminal', 'data-testid': 'shared-terminal' });
  const collapse = h('button', { type: 'button', class: 'dock-collapse', 'data-testid': 'dock-toggle', 'aria-expanded': 'true' }, 'Hide');
  const follow = h('input', { type: 'checkbox', 'data-testid': 'follow-toggle' });
  follow.checked = localStorage.getItem(FOLLOW_KEY) === '1';
  const restart = h('button', { type: 'button', 'data-testid': 'shared-restart', hidden: true }, instructor ? 'New shell' : 'Reconnect');
  const body = h(
    'div',
    { class: 'dock-body' },
    instructor
      ? h('p', { class: 'dock-note muted' }, 'The room sees this terminal live. ', h('a', { href: '/#workshop-room', 'data-route': true }, 'Links, participants and the board'), ' are on the home page.')
      : h(
          'label',
          { class: 'follow' },
          follow,
          ' Follow the instructor',
          h('span', { class: 'muted' }, 'your page moves to the challenge they are on; off, it stays where you are'),
        ),
    keyboard,
    h('div', { class: 'cell-toolbar' }, h('span', { class: 'file-name' }, instructor ? 'shared terminal (yours)' : "instructor's terminal"), state, restart),
    host,
  );
  const dock = h(
    'aside',
    { class: 'workshop-dock', 'data-testid': 'workshop-dock', 'aria-label': 'Shared terminal' },
    h('header', { class: 'dock-header' }, h('h2', {}, 'Shared terminal'), collapse),
    body,
  );
  document.body.append(dock);
  document.body.classList.add('has-dock');

  collapse.addEventListener('click', () => {
    const hidden = !body.hidden;
    body.hidden = hidden;
    collapse.textContent = hidden ? 'Show' : 'Hide';
    collapse.setAttribute('aria-expanded', String(!hidden));
    document.body.classList.toggle('dock-collapsed', hidden);
  });

  let session: TerminalSession | null = null;
  let disposed = false;
  let reattach: ReturnType<typeof setTimeout> | null = null;

  const showState = (s: TerminalState) => {
    dock.dataset.state = s.kind;
    restart.hidden = s.kind !== 'exited' && s.kind !== 'failed';
    state.textContent =
      s.kind === 'connecting' ? 'connecting…'
      : s.kind === 'open' ? 'connected'
      : s.kind === 'reconnecting' ? `disconnected${s.reason ? ` (${s.reason})` : ''}; retrying in ${Math.ceil(s.inMs / 1000)} s`
      : s.kind === 'failed' ? `disconnected: ${s.reason}`
      : '[the shell exited]';
    // A participant's view comes back by itself once the instructor starts a new shell.
    if (s.kind === 'exited' && !instructor && !reattach) {
      reattach = setTimeout(() => {
        reattach = null;
        session?.reconnect();
      }, VIEWER_REATTACH_MS);
    }
  };
  restart.addEventListener('click', () => session?.reconnect());

  import('./terminal.ts').then(
    ({ TerminalSession }) => {
      if (disposed || workshopHub.live.ended) return;
      session = new TerminalSession(host, 'shared', showState, {
        path: '/ws/shared',
        viewer: !instructor,
        readOnly: !instructor && workshopHub.live.keyboard !== me.participant?.id,
        fontSize: 13,
      });
    },
    (e) => {
      state.textContent = `could not load the terminal: ${errorText(e)}`;
    },
  );

  const showKeyboard = (live: WorkshopLive) => {
    const holder = live.keyboard;
    keyboard.dataset.holder = holder ?? '';
    if (instructor) {
      const name = live.participants.find((p) => p.id === holder)?.name ?? 'a participant';
      keyboard.replaceChildren(
        ...(holder
          ? ['Keyboard: ', h('strong', {}, name), ' types in it now. ', takeBackButton()]
          : ['Keyboard: ', h('strong', {}, 'you'), ' (no participant can type).']),
      );
    } else {
      const mine = holder !== null && holder === me.participant?.id;
      keyboard.replaceChildren(
        mine ? h('strong', {}, 'You have the keyboard: type in the terminal below.')
        : holder ? 'Keyboard: another participant is typing.'
        : 'Keyboard: the instructor. You watch; what you type is not sent.',
      );
      session?.setReadOnly(!mine);
      dock.classList.toggle('has-keyboard', mine);
    }
  };

  const takeBackButton = () => {
    const b = h('button', { type: 'button', 'data-testid': 'take-back' }, 'Take it back');
    b.addEventListener('click', () => void sendJson('POST', '/api/workshop/keyboard', { participant: null }).catch((e) => alert(errorText(e))));
    return b;
  };

  const goToPosition = (live: WorkshopLive) => {
    if (instructor || !follow.checked || !live.position) return;
    const url = positionUrl(live.position);
    if (url !== location.pathname + location.hash) opts.navigate(url);
  };

  follow.addEventListener('change', () => {
    localStorage.setItem(FOLLOW_KEY, follow.checked ? '1' : '0');
    goToPosition(workshopHub.live); // on: go where the instructor is; off: stay here
  });

  let unsubscribe: (() => void) | null = null;
  unsubscribe = workshopHub.subscribe((live, event) => {
    if (live.ended) {
      dispose();
      return;
    }
    showKeyboard(live);
    if (event?.type === 'position') goToPosition(live);
  });
  if (disposed) unsubscribe();

  function dispose(): void {
    if (disposed) return;
    disposed = true;
    unsubscribe?.();
    if (reattach) clearTimeout(reattach);
    session?.dispose();
    dock.remove();
    document.body.classList.remove('has-dock', 'dock-collapsed');
  }
  return { dispose };
}
