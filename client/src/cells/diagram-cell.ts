// The diagram cell: the machine's namespaces right now, as the kernel reports them.
import type { NamespaceSnapshot } from '../../../common/diagram.ts';
import { errorText, getJson } from '../api.ts';
import { namespaceDiagram } from '../diagram.ts';
import { formatTime, h } from '../dom.ts';
import { Section, type Cell } from './section.ts';

export function diagramCell(section: Section): Cell {
  const refresh = h('button', { type: 'button', 'data-testid': 'diagram-refresh' }, 'Refresh');
  const when = h('span', { class: 'muted', role: 'status' }, '');
  const figure = h('div', { class: 'diagram', 'data-testid': 'diagram' });
  const el = h(
    'div',
    { class: 'cell cell-diagram' },
    h('div', { class: 'cell-toolbar' }, h('span', { class: 'file-name' }, 'namespaces'), refresh, when),
    figure,
  );

  let generation = 0; // only the newest answer is drawn
  const load = async () => {
    const mine = ++generation;
    refresh.disabled = true;
    when.textContent = 'reading /proc…';
    try {
      const snap = await getJson<NamespaceSnapshot>('/api/probes/namespaces');
      if (mine !== generation) return;
      figure.replaceChildren(namespaceDiagram(snap));
      when.textContent = `as of ${formatTime(snap.takenAt)}`;
    } catch (e) {
      if (mine !== generation) return;
      when.textContent = `could not read the namespaces: ${errorText(e)}`;
    } finally {
      if (mine === generation) refresh.disabled = false;
    }
  };
  refresh.addEventListener('click', () => void load());
  const afterCheck = () => void load();
  section.events.addEventListener(Section.CHECK_END, afterCheck);
  void load();

  return {
    el,
    dispose() {
      generation++;
      section.events.removeEventListener(Section.CHECK_END, afterCheck);
    },
  };
}
