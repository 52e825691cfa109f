// Draws a NamespaceSnapshot as SVG: one row per namespace type, the host's namespace first,
// then every other namespace of that type with the processes in it.
import { NS_TYPES, type NamespaceGroup, type NamespaceSnapshot, type NsType } from '../../common/diagram.ts';
import { s } from './dom.ts';

const WIDTH = 960;
const LABEL_W = 70;
const BOX_W = 168;
const GAP = 10;
const LINE_H = 16;
const PAD = 8;
const PER_LINE = Math.floor((WIDTH - LABEL_W) / (BOX_W + GAP));
/** Namespaces beyond this per type are counted, not drawn (systemd gives many services their own mnt). */
const MAX_BOXES = PER_LINE * 2;
const MAX_PROCESSES = 6;

export function namespaceDiagram(snap: NamespaceSnapshot): SVGSVGElement {
  const focus = new Set(snap.focus);
  const rows: SVGGElement[] = [];
  let y = GAP;
  for (const type of NS_TYPES) {
    const { g, height } = typeRow(type, snap.types[type] ?? [], focus);
    g.setAttribute('transform', `translate(0 ${y})`);
    rows.push(g);
    y += height + GAP;
  }
  return s(
    'svg',
    {
      class: 'ns-diagram',
      viewBox: `0 0 ${WIDTH} ${y}`,
      width: '100%',
      role: 'img',
      'aria-label': describe(snap),
      'data-taken-at': snap.takenAt,
    },
    s('title', {}, describe(snap)),
    ...rows,
  );
}

function typeRow(type: NsType, groups: NamespaceGroup[], focus: Set<number>): { g: SVGGElement; height: number } {
  const hasFocus = (n: NamespaceGroup) => n.processes.some((p) => focus.has(p.pid));
  // Host first, then the namespaces the picture is about, then the rest.
  const ordered = [...groups].sort((a, b) => Number(b.host) - Number(a.host) || Number(hasFocus(b)) - Number(hasFocus(a)));
  const shown = ordered.slice(0, MAX_BOXES);
  const hidden = ordered.length - shown.length;

  const g = s('g', { class: `ns-row ns-${type}`, 'data-ns-type': type });
  g.append(s('text', { class: 'ns-type', x: 0, y: LINE_H + 2 }, type));
  let height = LINE_H * 2;
  let lineTop = 0;
  let lineHeight = 0;
  shown.forEach((group, i) => {
    const col = i % PER_LINE;
    if (i > 0 && col === 0) {
      lineTop += lineHeight + GAP;
      lineHeight = 0;
    }
    const box = nsBox(type, group, focus, hasFocus(group));
    box.g.setAttribute('transform', `translate(${LABEL_W + col * (BOX_W + GAP)} ${lineTop})`);
    g.append(box.g);
    lineHeight = Math.max(lineHeight, box.height);
    height = Math.max(height, lineTop + lineHeight);
  });
  if (hidden > 0) {
    g.append(s('text', { class: 'ns-more', x: LABEL_W, y: height + LINE_H }, `+ ${hidden} more ${type} namespace${hidden === 1 ? '' : 's'}`));
    height += LINE_H + 4;
  }
  if (groups.length === 0) g.append(s('text', { class: 'ns-more', x: LABEL_W, y: LINE_H + 2 }, 'not visible'));
  return { g, height };
}

function nsBox(type: NsType, n: NamespaceGroup, focus: Set<number>, focused: boolean): { g: SVGGElement; height: number } {
  const lines: { text: string; cls: string }[] = [
    { text: n.host ? 'host' : `new ${type} namespace`, cls: 'ns-title' },
    { text: `inode ${n.inode}`, cls: 'ns-inode' },
    { text: `${n.processCount} process${n.processCount === 1 ? '' : 'es'}`, cls: 'ns-count' },
  ];
  if (!n.host) {
    for (const p of n.processes.slice(0, MAX_PROCESSES)) lines.push({ text: `${p.pid} ${p.comm}`, cls: focus.has(p.pid) ? 'ns-proc focus-pid' : 'ns-proc' });
    const more = n.processCount - Math.min(n.processes.length, MAX_PROCESSES);
    if (more > 0) lines.push({ text: `… ${more} more`, cls: 'ns-proc' });
  } else {
    for (const p of n.processes.filter((p) => focus.has(p.pid)).slice(0, MAX_PROCESSES)) lines.push({ text: `${p.pid} ${p.comm}`, cls: 'ns-proc focus-pid' });
  }
  if (type === 'net' && n.names.length) lines.push({ text: `netns: ${n.names.join(', ')}`, cls: 'ns-names' });

  const height = PAD * 2 + lines.length * LINE_H;
  const g = s(
    'g',
    { class: `ns-box ${n.host ? 'host' : 'new'}${focused ? ' focus' : ''}`, 'data-inode': n.inode, 'data-host': String(n.host) },
    s('rect', { x: 0, y: 0, width: BOX_W, height, rx: 6 }),
    ...lines.map((l, i) => s('text', { class: l.cls, x: PAD, y: PAD + (i + 1) * LINE_H - 4 }, clip(l.text))),
  );
  return { g, height };
}

/** Keep text inside its box (monospace, ~7.2 px a character at the diagram's font size). */
function clip(text: string): string {
  const max = Math.floor((BOX_W - PAD * 2) / 7.2);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function describe(snap: NamespaceSnapshot): string {
  const parts = NS_TYPES.map((t) => {
    const others = (snap.types[t] ?? []).filter((n) => !n.host).length;
    return `${t}: ${others === 0 ? 'host only' : `host and ${others} other`}`;
  });
  return `Namespaces at ${snap.takenAt}: ${parts.join('; ')}`;
}
