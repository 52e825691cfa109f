// Draws a CgroupSnapshot as a collapsible tree (nested <details>): per cgroup its name, the
// controllers it enables for its children, its processes, and small gauges — memory and pids
// against their limits, cpu throttling, frozen. A systemd host has hundreds of cgroups, so
// large and deep branches start closed, the focus (what a challenge made) starts open, long
// child lists are cut to a page, and a filter narrows the tree to matching paths.
//
// A poll redraws the same element in place (cgroupDiagram(snap, previous)): what was opened,
// closed or typed into the filter survives the new numbers.
import type { CgroupNode, CgroupSnapshot } from '../../common/diagram.ts';
import { h, present } from './dom.ts';

/** Children listed before a "show more" button. */
const CHILD_PAGE = 40;
/** A first-level cgroup with more children than this starts closed (system.slice). */
const SMALL_BRANCH = 12;
/** Levels under a focus path that start open. */
const FOCUS_OPEN_DEPTH = 3;

interface View {
  snap: CgroupSnapshot;
  filter: HTMLInputElement;
  info: HTMLElement;
  tree: HTMLUListElement;
  empty: HTMLElement;
  /** Opened or closed by hand: wins over the defaults. */
  toggled: Map<string, boolean>;
  /** Nodes whose whole child list was asked for. */
  expandedLists: Set<string>;
}

const views = new WeakMap<Element, View>();

export function cgroupDiagram(snap: CgroupSnapshot, previous: Element | null = null): HTMLElement {
  const old = previous ? views.get(previous) : undefined;
  if (old && previous instanceof HTMLElement) {
    old.snap = snap;
    previous.dataset.takenAt = snap.takenAt;
    render(old);
    return previous;
  }
  const filter = h('input', {
    type: 'search',
    class: 'cg-filter',
    placeholder: 'filter by path, e.g. luxlab',
    'aria-label': 'Show only cgroups whose path contains',
    'data-testid': 'cgroup-filter',
  });
  const info = h('span', { class: 'cg-info muted' });
  // Plain lists of <details>: their native keyboard and screen-reader behaviour is the tree's.
  const tree = h('ul', { class: 'cg-tree', 'aria-label': 'cgroup hierarchy' });
  const empty = h('p', { class: 'cg-empty muted', hidden: true });
  const el = h('div', { class: 'cg-diagram', 'data-testid': 'cgroup-diagram', 'data-taken-at': snap.takenAt }, h('div', { class: 'cg-toolbar' }, filter, info), tree, empty);
  const view: View = { snap, filter, info, tree, empty, toggled: new Map(), expandedLists: new Set() };
  views.set(el, view);
  filter.addEventListener('input', () => render(view));
  // A hand toggle is remembered by path (a summary click also comes from Enter and Space).
  tree.addEventListener('click', (e) => {
    const target = e.target as HTMLElement;
    const summary = target.closest('summary');
    const li = summary?.closest<HTMLElement>('li.cg-node');
    if (summary && li?.dataset.path !== undefined) view.toggled.set(li.dataset.path, !(summary.parentElement as HTMLDetailsElement).open);
    const more = target.closest<HTMLElement>('button.cg-more');
    if (more?.dataset.path !== undefined) {
      view.expandedLists.add(more.dataset.path);
      render(view);
    }
  });
  render(view);
  return el;
}

function render(view: View): void {
  const { snap } = view;
  const children = new Map<string, CgroupNode[]>();
  for (const n of snap.nodes) {
    if (n.parent === null) continue;
    const list = children.get(n.parent);
    if (list) list.push(n);
    else children.set(n.parent, [n]);
  }
  const root = snap.nodes[0];
  const q = view.filter.value.trim().toLowerCase();

  // Filtering: the matches and their ancestors, every ancestor open.
  let visible: Set<string> | null = null;
  if (q) {
    visible = new Set();
    const byPath = new Map(snap.nodes.map((n) => [n.path, n]));
    for (const n of snap.nodes) {
      if (!n.path.toLowerCase().includes(q)) continue;
      for (let p: string | null = n.path; p !== null && !visible.has(p); p = byPath.get(p)?.parent ?? null) visible.add(p);
    }
  }
  const focusPaths = snap.focus;
  const onFocusPath = (p: string) => focusPaths.some((f) => f === p || f.startsWith(p === '/' ? '/' : `${p}/`));
  const focusDepth = (p: string) => {
    const f = focusPaths.filter((x) => p.startsWith(x === '/' ? '/' : `${x}/`));
    return f.length ? Math.min(...f.map((x) => depthBetween(x, p))) : null;
  };
  const defaultOpen = (n: CgroupNode, kids: number) => {
    if (n.depth === 0 || onFocusPath(n.path)) return true;
    if (kids === 0) return false; // a leaf opens to its details only
    const below = focusDepth(n.path);
    if (below !== null) return below < FOCUS_OPEN_DEPTH;
    return n.depth === 1 && kids <= SMALL_BRANCH;
  };

  const item = (n: CgroupNode): HTMLLIElement => {
    let kids = children.get(n.path) ?? [];
    if (visible) kids = kids.filter((k) => visible!.has(k.path));
    const open = visible ? visible.has(n.path) && kids.length > 0 : (view.toggled.get(n.path) ?? defaultOpen(n, kids.length));
    let shown = kids;
    let more = 0;
    if (!visible && !view.expandedLists.has(n.path) && kids.length > CHILD_PAGE) {
      // The page keeps the children on a focus path, then the first by name.
      const keep = new Set(kids.filter((k) => onFocusPath(k.path)).map((k) => k.path));
      for (const k of kids) if (keep.size < CHILD_PAGE) keep.add(k.path);
      shown = kids.filter((k) => keep.has(k.path));
      more = kids.length - shown.length;
    }
    const all = (children.get(n.path)?.length ?? 0) + (n.omittedChildren ?? 0);
    const line = summary(n, kids.length < all && visible ? `${kids.length} of ${all}` : all, q);
    // Opening shows the details line, the children, what the limits cut; a row with none is no <details>.
    const body = present(
      detail(n),
      shown.length ? h('ul', {}, ...shown.map(item)) : null,
      more ? h('button', { type: 'button', class: 'cg-more', 'data-path': n.path }, `show ${more} more`) : null,
      (n.omittedChildren ?? 0) > 0 ? h('p', { class: 'cg-cut muted' }, `+ ${n.omittedChildren} more not read (the picture's limit)`) : null,
    );
    return h(
      'li',
      {
        class: `cg-node${isFocus(snap, n) ? ' focus' : ''}${n.frozen ? ' frozen' : ''}${n.populated ? '' : ' empty'}`,
        'data-testid': 'cgroup-node',
        'data-path': n.path,
        'data-depth': n.depth,
      },
      ...(body.length ? [h('details', { open }, h('summary', { class: 'cg-line', title: n.path }, ...line), ...body)] : [h('div', { class: 'cg-line', title: n.path }, ...line)]),
    );
  };

  // Keep the keyboard where it was across a redraw.
  const active = document.activeElement;
  const activePath = active && view.tree.contains(active) ? active.closest<HTMLElement>('li.cg-node')?.dataset.path : undefined;
  view.tree.replaceChildren(...(root && (!visible || visible.has(root.path)) ? [item(root)] : []));
  if (activePath !== undefined) view.tree.querySelector<HTMLElement>(`li.cg-node[data-path="${CSS.escape(activePath)}"] > details > summary`)?.focus();

  view.empty.hidden = !(visible && visible.size === 0);
  view.empty.textContent = `No cgroup path under ${snap.root} contains “${view.filter.value.trim()}”.`;
  const count = snap.nodes.length;
  view.info.textContent = [
    `${count} cgroup${count === 1 ? '' : 's'} under ${snap.root}`,
    `cgroup2 at ${snap.mount}`,
    snap.truncated ? `${snap.truncated} more not read` : '',
    visible ? `${visible.size} shown` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/** The one line of a cgroup: name, what it enables below, processes, gauges, badges. */
function summary(n: CgroupNode, kids: number | string, q: string): (Node | string)[] {
  return present(
    h('span', { class: 'cg-name' }, ...highlight(n.parent === null ? n.path : n.path.slice(n.path.lastIndexOf('/') + 1), q)),
    n.subtreeControl.length
      ? h('span', { class: 'cg-ctl', title: 'cgroup.subtree_control: the controllers it enables for its children' }, n.subtreeControl.map((c) => `+${c}`).join(' '))
      : null,
    h('span', { class: 'cg-procs', title: `cgroup.procs: ${n.nrProcs} process${n.nrProcs === 1 ? '' : 'es'} in this cgroup itself` }, `${n.nrProcs} proc${n.nrProcs === 1 ? '' : 's'}`),
    n.memory ? gauge('mem', n.memory.current, n.memory.max, bytes, memoryTitle(n)) : null,
    n.pids ? gauge('pids', n.pids.current, n.pids.max, String, `pids.current ${n.pids.current} of pids.max ${n.pids.max ?? 'max'}`) : null,
    cpuBadge(n),
    n.memory?.oomKills ? h('span', { class: 'cg-badge oom', title: 'memory.events oom_kill' }, `OOM ×${n.memory.oomKills}`) : null,
    n.frozen
      ? h('span', { class: 'cg-badge frozen', 'data-testid': 'cgroup-frozen', title: n.freeze ? 'cgroup.freeze = 1: frozen' : 'frozen: an ancestor is' }, '❄ frozen')
      : n.freeze
        ? h('span', { class: 'cg-badge frozen', title: 'cgroup.freeze = 1, cgroup.events not frozen yet' }, 'freezing…')
        : null,
    n.type ? h('span', { class: 'cg-badge', title: 'cgroup.type' }, n.type) : null,
    kids ? h('span', { class: 'cg-kids', title: `cgroup.stat: ${n.descendants} cgroup${n.descendants === 1 ? '' : 's'} below in all` }, `${kids} ${kids === 1 ? 'child' : 'children'}`) : null,
  );
}

/** What the line has no room for, as one line; null when there is nothing to add. */
function detail(n: CgroupNode): HTMLElement | null {
  const more = n.nrProcs - n.procs.length;
  const parts = [
    n.procs.length ? `processes: ${n.procs.map((p) => `${p.pid} ${p.comm || '?'}`).join(', ')}${more > 0 ? ` +${more} more` : ''}` : null,
    n.controllers.length ? `controllers: ${n.controllers.join(' ')}` : null,
    n.memory ? memoryTitle(n) : null,
    n.cpu && (n.cpu.usageUsec > 0 || n.cpu.nrThrottled !== undefined) ? cpuTitle(n) : null,
    ...(n.ioMax ?? []).map((l) => `io.max ${l}`),
  ].filter((p): p is string => p !== null);
  return parts.length ? h('div', { class: 'cg-detail' }, parts.join(' · ')) : null;
}

/** A bar of current against a limit; without a limit, just the number. */
function gauge(label: string, current: number, max: number | null, fmt: (n: number) => string, title: string): HTMLElement {
  return h(
    'span',
    { class: 'cg-gauge', 'data-gauge': label, title },
    h('span', { class: 'cg-gauge-label' }, label),
    max !== null && max > 0 ? h('meter', { min: 0, max, value: Math.min(current, max), low: max * 0.7, high: max * 0.9, optimum: 0 }) : null,
    h('span', { class: 'cg-gauge-text' }, max === null ? fmt(current) : `${fmt(current)}/${fmt(max)}`),
  );
}

function cpuBadge(n: CgroupNode): HTMLElement | null {
  const c = n.cpu;
  if (!c || (!c.nrThrottled && (c.quotaUsec ?? null) === null)) return null; // no limit, never throttled: the details say the usage
  const quota = c.quotaUsec != null && c.periodUsec ? ` ≤${trim(c.quotaUsec / c.periodUsec)} CPU` : '';
  const throttled = c.nrThrottled ? ` throttled ×${c.nrThrottled}` : '';
  return h('span', { class: `cg-badge cpu${c.nrThrottled ? ' throttled' : ''}`, 'data-gauge': 'cpu', title: cpuTitle(n) }, `cpu${quota}${throttled}`);
}

function memoryTitle(n: CgroupNode): string {
  const m = n.memory!;
  return `memory.current ${bytes(m.current)} of memory.max ${m.max === null ? 'max' : bytes(m.max)}${m.peak !== undefined ? ` · peak ${bytes(m.peak)}` : ''}${m.oomKills !== undefined ? ` · oom_kill ${m.oomKills}` : ''}`;
}

function cpuTitle(n: CgroupNode): string {
  const c = n.cpu!;
  const parts = [`cpu usage ${ms(c.usageUsec)}`];
  if (c.quotaUsec !== undefined) parts.push(`cpu.max ${c.quotaUsec ?? 'max'} ${c.periodUsec ?? ''}`.trim());
  if (c.nrThrottled !== undefined) parts.push(`throttled ${c.nrThrottled} time${c.nrThrottled === 1 ? '' : 's'}, ${ms(c.throttledUsec ?? 0)} in all`);
  return parts.join(' · ');
}

function isFocus(snap: CgroupSnapshot, n: CgroupNode): boolean {
  return snap.focus.includes(n.path);
}

function depthBetween(ancestor: string, p: string): number {
  const a = ancestor === '/' ? 0 : ancestor.split('/').length - 1;
  return p.split('/').length - 1 - a;
}

/** The name with the filter's match marked. */
function highlight(text: string, q: string): (Node | string)[] {
  const i = q ? text.toLowerCase().indexOf(q) : -1;
  if (i < 0) return [text];
  return [text.slice(0, i), h('mark', {}, text.slice(i, i + q.length)), text.slice(i + q.length)];
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : trim(v)} ${units[u]}`;
}

function ms(usec: number): string {
  return usec < 1e6 ? `${trim(usec / 1000)} ms` : `${trim(usec / 1e6)} s`;
}

function trim(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1).replace(/\.0$/, '') : v.toFixed(2).replace(/\.?0+$/, '');
}
