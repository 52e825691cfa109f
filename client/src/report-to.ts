// On a learner's own lab (home page): send check results to a workshop's progress board.
// Opt-in: the learner pastes the participant link the instructor handed out, and a name.
import { WORKSHOP_LIMITS } from '../../common/workshop.ts';
import { errorText, getJson, sendJson } from './api.ts';
import { h } from './dom.ts';

interface Target {
  url: string | null;
  name: string | null;
}

export function reportToSettings(): HTMLElement {
  const current = h('p', { 'data-testid': 'report-current', role: 'status' }, 'Loading…');
  const url = h('input', { type: 'url', required: true, placeholder: 'http://192.168.1.10:8080/join?token=…', 'data-testid': 'report-url', spellcheck: false, maxlength: 500 });
  const name = h('input', { type: 'text', required: true, maxlength: WORKSHOP_LIMITS.maxNameLength, autocomplete: 'nickname', 'data-testid': 'report-name' });
  const save = h('button', { type: 'submit', class: 'primary', 'data-testid': 'report-save' }, 'Report to this workshop');
  const stop = h('button', { type: 'button', 'data-testid': 'report-stop', hidden: true }, 'Stop reporting');
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'report-error', hidden: true });
  const form = h(
    'form',
    { class: 'report-form' },
    h('label', {}, 'Workshop link (the participant link) ', url),
    h('label', {}, 'Your display name ', name),
    h('div', { class: 'report-buttons' }, save, stop),
    error,
  );
  const el = h(
    'details',
    { class: 'report-to', 'data-testid': 'report-to' },
    h('summary', {}, 'Workshop: send my check results to an instructor'),
    h(
      'p',
      { class: 'muted' },
      'In a workshop, paste the participant link the instructor gave you. After every check, this lab sends the instructor\u2019s board ',
      h('strong', {}, 'only'),
      ' the challenge, passed or failed (with the first failing assertion\u2019s title), the time, and the name below — never your code, your files or your terminal.',
    ),
    current,
    form,
  );

  const show = (t: Target) => {
    error.hidden = true;
    if (t.url && t.name) {
      let where = t.url;
      try {
        where = new URL(t.url).host; // the token stays out of sight
      } catch {
        /* shown as stored */
      }
      current.replaceChildren('Reporting to ', h('strong', { 'data-testid': 'report-host' }, where), ' as ', h('strong', {}, t.name), '.');
      el.dataset.reporting = 'true';
      stop.hidden = false;
      name.value = t.name;
      el.open = true;
    } else {
      current.textContent = 'Not reporting to any workshop.';
      el.dataset.reporting = 'false';
      stop.hidden = true;
    }
  };
  const fail = (e: unknown) => {
    error.textContent = errorText(e);
    error.hidden = false;
  };

  getJson<Target>('/api/workshop/report-to').then(show, fail);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    save.disabled = true;
    sendJson<Target>('PUT', '/api/workshop/report-to', { url: url.value.trim(), name: name.value.trim() })
      .then((t) => {
        url.value = '';
        show(t);
      }, fail)
      .finally(() => (save.disabled = false));
  });
  stop.addEventListener('click', () => {
    stop.disabled = true;
    sendJson<Target>('DELETE', '/api/workshop/report-to').then(show, fail).finally(() => (stop.disabled = false));
  });
  return el;
}
