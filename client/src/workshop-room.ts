// The instructor's room, on the home page in workshop mode: the two links to hand out, who
// joined (and the keyboard of the shared terminal), the progress board live from
// /ws/workshop, and ending the workshop. Loaded by dynamic import.
import type { HomeView } from '../../common/notebook.ts';
import type { BoardRow, ParticipantInfo, ProgressEntry } from '../../common/workshop.ts';
import { errorText, sendJson } from './api.ts';
import { formatTime, h } from './dom.ts';
import { whoami, workshopHub, type WorkshopLive } from './workshop.ts';

interface Column {
  number: string;
  title: string;
  stage: number;
}

const STATUS: Record<ProgressEntry['status'] | 'not-tried', { icon: string; text: string }> = {
  passed: { icon: '✓', text: 'passed' },
  failed: { icon: '✗', text: 'failed' },
  error: { icon: '✗', text: 'error' },
  unavailable: { icon: '–', text: 'not run' },
  'not-tried': { icon: '○', text: 'not tried' },
};

export function renderRoom(view: HomeView): { el: HTMLElement; dispose(): void } {
  const links = whoami().workshop?.links;
  const participants = h('ul', { class: 'participants', 'data-testid': 'participants' });
  const board = h('div', { class: 'board-wrap', 'data-testid': 'board' });
  const status = h('p', { class: 'muted', 'data-testid': 'room-status', role: 'status' }, '');
  const end = h('button', { type: 'button', class: 'danger', 'data-testid': 'end-workshop' }, 'End workshop');
  const ended = h('p', { class: 'warning', 'data-testid': 'room-ended', hidden: true }, 'The workshop has ended: its links no longer work and the participants were sent away.');
  // The columns: the challenges of every stage that has a notebook, in curriculum order.
  const columns: Column[] = view.stages.filter((s) => s.slug !== null).flatMap((s) => s.challenges.map((c) => ({ number: c.number, title: c.title, stage: s.stage })));

  end.addEventListener('click', () => {
    if (!confirm('End the workshop? The participant link stops working and everyone watching is sent away. Your lab keeps running.')) return;
    end.disabled = true;
    sendJson('POST', '/api/workshop/end', {}).then(
      () => workshopHub.ended(),
      (e) => {
        end.disabled = false;
        alert(`Could not end the workshop: ${errorText(e)}`);
      },
    );
  });

  const el = h(
    'section',
    { class: 'workshop-room', id: 'workshop-room', 'data-testid': 'workshop-room', 'aria-labelledby': 'room-title' },
    h('h2', { id: 'room-title' }, 'Workshop'),
    ended,
    links ? linksBlock(links) : h('p', { class: 'muted' }, 'The links are the ones the lab printed when it started.'),
    h('h3', {}, 'Participants'),
    participants,
    h('h3', {}, 'Progress board'),
    board,
    status,
    h('p', { class: 'room-end' }, end, h('span', { class: 'muted' }, ' revokes both links at once.')),
  );

  const unsubscribe = workshopHub.subscribe((live) => {
    participants.replaceChildren(...participantRows(live));
    board.replaceChildren(boardTable(columns, live.board));
    status.textContent = live.ended ? '' : live.socket === 'open' ? 'Live: the board and the list update as things happen.' : `Connection to the lab: ${live.socket}…`;
    ended.hidden = !live.ended;
    end.disabled = live.ended;
    el.dataset.ended = String(live.ended);
  });
  return { el, dispose: unsubscribe };
}

function linksBlock(links: { instructor: string; participant: string }): HTMLElement {
  const row = (testid: string, label: string, url: string, note: string) => {
    const input = h('input', { type: 'text', readonly: true, value: url, 'data-testid': `${testid}-link`, 'aria-label': label, spellcheck: false });
    const copy = h('button', { type: 'button', 'data-testid': `copy-${testid}` }, 'Copy');
    copy.addEventListener('click', () => {
      void copyText(input).then((ok) => {
        copy.textContent = ok ? 'Copied' : 'Select and copy';
        setTimeout(() => (copy.textContent = 'Copy'), 1500);
      });
    });
    return h('div', { class: 'link-row' }, h('label', {}, h('strong', {}, label), h('span', { class: 'muted' }, ` — ${note}`)), h('div', { class: 'link-field' }, input, copy));
  };
  return h(
    'div',
    { class: 'workshop-links', 'data-testid': 'workshop-links' },
    row('participant', 'Participant link', links.participant, 'share this: it opens a read-only view of your notebooks and your shared terminal'),
    row('instructor', 'Instructor link', links.instructor, 'keep it to yourself: full control of this lab'),
  );
}

/** The clipboard API needs a secure context (not http://<LAN address>): fall back to the selection. */
async function copyText(input: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    input.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

function participantRows(live: WorkshopLive): HTMLElement[] {
  if (!live.participants.length) return [h('li', { class: 'muted' }, live.ended ? 'Nobody: the workshop has ended.' : 'Nobody has joined yet. Share the participant link.')];
  const keyboard = (p: ParticipantInfo) => {
    const holds = live.keyboard === p.id;
    const b = h('button', { type: 'button', 'data-testid': holds ? 'take-keyboard' : 'hand-keyboard', disabled: live.ended }, holds ? 'Take the keyboard back' : 'Hand the keyboard');
    b.addEventListener('click', () => {
      b.disabled = true;
      sendJson('POST', '/api/workshop/keyboard', { participant: holds ? null : p.id }).catch((e) => {
        b.disabled = false;
        alert(errorText(e));
      });
    });
    return b;
  };
  return live.participants.map((p) =>
    h(
      'li',
      { class: 'participant-row', 'data-testid': 'participant-row', 'data-participant': p.id, 'data-connected': String(p.connected), 'data-keyboard': String(live.keyboard === p.id) },
      h('span', { class: `presence ${p.connected ? 'on' : 'off'}`, 'aria-hidden': 'true' }, p.connected ? '●' : '○'),
      h('span', { class: 'participant-name' }, p.name),
      h('span', { class: 'muted' }, p.connected ? 'watching' : 'not connected'),
      live.keyboard === p.id ? h('strong', { class: 'keyboard-badge' }, '⌨ has the keyboard') : null,
      keyboard(p),
    ),
  );
}

function boardTable(columns: Column[], rows: BoardRow[]): HTMLElement {
  if (!rows.length) {
    return h(
      'p',
      { class: 'muted' },
      'No results yet. A participant sends theirs by pasting the participant link into their own lab (home page, “Workshop”): only check results and their display name are sent.',
    );
  }
  // Results for challenges this lab has no notebook of still get a column.
  const known = new Set(columns.map((c) => c.number));
  const extra = [...new Set(rows.flatMap((r) => Object.keys(r.results)))].filter((n) => !known.has(n)).sort(byNumber);
  const cols = [...columns, ...extra.map((number) => ({ number, title: number, stage: Number(number.split('.')[0]) }))];
  return h(
    'table',
    { class: 'board' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', { scope: 'col' }, 'participant'), ...cols.map((c) => h('th', { scope: 'col', title: `${c.number} ${c.title}`, 'data-number': c.number }, c.number))),
    ),
    h(
      'tbody',
      {},
      ...rows.map((r) =>
        h(
          'tr',
          { 'data-testid': 'board-row', 'data-name': r.name },
          h('th', { scope: 'row' }, r.name),
          ...cols.map((c) => boardCell(c, r.results[c.number])),
        ),
      ),
    ),
  );
}

function boardCell(c: Column, e: ProgressEntry | undefined): HTMLElement {
  const key = e?.status ?? 'not-tried';
  const { icon, text } = STATUS[key];
  const tone = key === 'passed' ? 'passed' : key === 'failed' || key === 'error' ? 'failed' : 'not-tried';
  const when = e ? formatTime(e.at) : '';
  const title = [`${c.number} ${c.title}: ${text}`, e?.failing ? `failing: ${e.failing.title}` : '', when ? `at ${when}` : ''].filter(Boolean).join('\n');
  // Many columns: "not tried" is its icon (the word is there for screen readers and on hover).
  const label = key === 'not-tried' ? h('span', { class: 'visually-hidden' }, text) : ` ${text}`;
  return h(
    'td',
    { class: `board-cell status-${tone}`, 'data-testid': 'board-cell', 'data-number': c.number, 'data-status': key, title },
    h('span', { class: 'board-status' }, h('span', { 'aria-hidden': 'true' }, icon), label),
    e?.failing ? h('span', { class: 'board-failing', 'data-testid': 'board-failing' }, e.failing.title) : null,
    e ? h('time', { class: 'board-time', datetime: e.at }, shortTime(e.at)) : null,
  );
}

function shortTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function byNumber(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}
