// The terminal cell: a shell in the challenge's workspace, next to the learner's binary.
import { errorText } from '../api.ts';
import { h } from '../dom.ts';
import type { TerminalSession, TerminalState } from '../terminal.ts';
import type { Cell, Section } from './section.ts';

export function terminalCell(section: Section): Cell {
  const state = h('span', { class: 'terminal-state', 'data-testid': 'terminal-state', role: 'status' }, 'starting…');
  const restart = h('button', { type: 'button', 'data-testid': 'terminal-restart', hidden: true }, 'Restart');
  const host = h('div', { class: 'terminal-host', 'data-testid': 'terminal' });
  const el = h('div', { class: 'cell cell-terminal' }, h('div', { class: 'cell-toolbar' }, h('span', { class: 'file-name' }, 'terminal'), state, restart), host);

  let session: TerminalSession | null = null;
  let disposed = false;

  const show = (s: TerminalState) => {
    el.dataset.state = s.kind;
    restart.hidden = s.kind !== 'exited' && s.kind !== 'failed';
    state.textContent =
      s.kind === 'connecting' ? 'connecting…'
      : s.kind === 'open' ? 'connected'
      : s.kind === 'reconnecting' ? `disconnected; retrying in ${Math.ceil(s.inMs / 1000)} s`
      : s.kind === 'failed' ? `disconnected: ${s.reason}`
      : `[process exited${s.code !== null ? ` with code ${s.code}` : ''}${s.signal ? `, signal ${s.signal}` : ''}]`;
  };

  restart.addEventListener('click', () => {
    restart.hidden = true;
    void session?.restart().then(() => session?.focus());
  });

  import('../terminal.ts').then(
    ({ TerminalSession }) => {
      if (disposed) return;
      session = new TerminalSession(host, section.challenge.id, show);
    },
    (e) => {
      state.textContent = `could not load the terminal: ${errorText(e)}`;
    },
  );

  return {
    el,
    dispose() {
      disposed = true;
      session?.dispose();
    },
  };
}
