// The diagram cell: a live picture of the machine, as the kernel reports it — its namespaces
// (`namespaces`), its network topology (`topology`) or its cgroup tree (`cgroups`). Redrawn on
// Refresh and after a check of the section; topology and cgroups are also polled while the
// cell is in view and the tab visible.
import type { CgroupSnapshot, NamespaceSnapshot, TopologySnapshot } from '../../../common/diagram.ts';
import type { DiagramKind } from '../../../common/notebook.ts';
import { errorText, failure, getJson } from '../api.ts';
import { cgroupDiagram } from '../cgroups.ts';
import { namespaceDiagram } from '../diagram.ts';
import { formatTime, h } from '../dom.ts';
import { topologyDiagram } from '../topology.ts';
import { Section, type Cell } from './section.ts';

interface Kind<T extends { takenAt: string }> {
  label: string;
  reading: string;
  /** A poll answers null when the server would rather not probe now (a check is running). root: the cell's argument. */
  fetch(poll: boolean, root?: string): Promise<T | null>;
  /** The picture; given what is on screen, a kind may update it in place (and return it). */
  draw(snap: T, previous: Element | null): Element;
  /** Poll every this many ms while in view (0: never). */
  pollMs: number;
}

interface Snapshots {
  namespaces: NamespaceSnapshot;
  topology: TopologySnapshot;
  cgroups: CgroupSnapshot;
}

const KINDS: { [K in DiagramKind]: Kind<Snapshots[K]> } = {
  namespaces: {
    label: 'namespaces',
    reading: 'reading /proc…',
    fetch: () => getJson<NamespaceSnapshot>('/api/probes/namespaces'),
    draw: namespaceDiagram,
    pollMs: 0,
  },
  topology: {
    label: 'network topology',
    reading: 'reading ip and iptables in every network namespace…',
    fetch: async (poll) => {
      const res = await fetch(`/api/probes/topology${poll ? '?poll=1' : ''}`);
      if (res.status === 204) return null;
      if (!res.ok) throw await failure(res);
      return (await res.json()) as TopologySnapshot;
    },
    draw: topologyDiagram,
    pollMs: 3000,
  },
  cgroups: {
    label: 'cgroup tree',
    reading: 'reading the cgroup2 hierarchy…',
    fetch: (_poll, root) => getJson<CgroupSnapshot>(`/api/probes/cgroups${root ? `?root=${encodeURIComponent(root)}` : ''}`),
    // In place: the tree keeps what was opened and the filter's text across polls.
    draw: cgroupDiagram,
    pollMs: 3000,
  },
};

export function diagramCell(section: Section, kind: DiagramKind = 'namespaces', root?: string): Cell {
  const k = KINDS[kind] as Kind<Snapshots[DiagramKind]>;
  const refresh = h('button', { type: 'button', 'data-testid': 'diagram-refresh' }, 'Refresh');
  const when = h('span', { class: 'muted', role: 'status' }, '');
  const figure = h('div', { class: 'diagram', 'data-testid': 'diagram', 'data-diagram': kind });
  const el = h(
    'div',
    { class: 'cell cell-diagram', 'data-diagram': kind },
    h('div', { class: 'cell-toolbar' }, h('span', { class: 'file-name' }, k.label), refresh, when),
    figure,
  );

  let generation = 0; // only the newest answer is drawn
  let loading = false;
  let drawn = ''; // the snapshot on screen, without its time: a poll redraws only on a change
  const load = async (poll = false) => {
    const mine = ++generation;
    loading = true;
    if (!poll) {
      refresh.disabled = true;
      when.textContent = k.reading;
    }
    try {
      const snap = await k.fetch(poll, root);
      if (mine !== generation || !snap) return;
      const content = JSON.stringify({ ...snap, takenAt: '' });
      if (content !== drawn) {
        const previous = figure.firstElementChild;
        const next = k.draw(snap, previous);
        if (next !== previous) figure.replaceChildren(next);
        drawn = content;
      }
      when.textContent = `as of ${formatTime(snap.takenAt)}`;
    } catch (e) {
      if (mine !== generation) return;
      when.textContent = `could not read the ${k.label}: ${errorText(e)}`;
    } finally {
      if (mine === generation) {
        refresh.disabled = false;
        loading = false;
      }
    }
  };
  refresh.addEventListener('click', () => void load());
  const afterCheck = () => void load();
  section.events.addEventListener(Section.CHECK_END, afterCheck);
  void load();

  // Polling: only while the cell is on screen and the tab visible, one request at a time.
  let inView = false;
  const observer = k.pollMs && typeof IntersectionObserver !== 'undefined' ? new IntersectionObserver((entries) => (inView = entries.some((e) => e.isIntersecting))) : null;
  observer?.observe(el);
  const timer = observer
    ? setInterval(() => {
        if (inView && !document.hidden && !loading) void load(true);
      }, k.pollMs)
    : undefined;

  return {
    el,
    dispose() {
      generation++;
      clearInterval(timer);
      observer?.disconnect();
      section.events.removeEventListener(Section.CHECK_END, afterCheck);
    },
  };
}
