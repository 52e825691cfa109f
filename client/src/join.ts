// /join: where the participant link leads. A display name, then the participant view (the
// instructor's notebooks, read-only, with the shared terminal beside them).
import { WORKSHOP_LIMITS } from '../../common/workshop.ts';
import { errorText, sendJson } from './api.ts';
import { h } from './dom.ts';
import type { Page } from './page.ts';
import { whoami } from './workshop.ts';

export function renderJoin(root: HTMLElement, opts: { joined(): Promise<void> }): Page {
  document.title = 'Join the workshop · luxlab';
  const me = whoami();
  if (me.role !== 'participant') {
    root.append(
      h(
        'div',
        { class: 'join', 'data-testid': 'join' },
        h('h1', {}, 'Join a workshop'),
        h('p', {}, 'Participants land here from the participant link. ', h('a', { href: '/', 'data-route': true }, 'Back to the stages')),
      ),
    );
    return { dispose() {} };
  }
  const name = h('input', {
    type: 'text',
    name: 'name',
    required: true,
    maxlength: WORKSHOP_LIMITS.maxNameLength,
    autocomplete: 'nickname',
    'data-testid': 'join-name',
    'aria-describedby': 'join-help',
  });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'join-submit' }, 'Join');
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'join-error', hidden: true });
  const form = h(
    'form',
    { class: 'join-form' },
    h('label', {}, 'Your display name ', name),
    submit,
    h(
      'p',
      { id: 'join-help', class: 'muted' },
      'The instructor and the room see this name. You will watch the instructor\u2019s terminal and read the notebooks here; you do the exercises in your own lab.',
    ),
    error,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const value = name.value.trim();
    if (!value) return;
    submit.disabled = true;
    error.hidden = true;
    sendJson('POST', '/api/workshop/join', { name: value })
      .then(() => opts.joined())
      .catch((e) => {
        error.textContent = `Could not join: ${errorText(e)}`;
        error.hidden = false;
        submit.disabled = false;
      });
  });
  root.append(h('div', { class: 'join', 'data-testid': 'join' }, h('h1', {}, 'Join the workshop'), form));
  name.focus();
  return { dispose() {} };
}
