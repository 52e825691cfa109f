// Draws a TopologySnapshot as SVG: the host's network namespace in the middle, the others in
// a column on either side (a namespace goes next to the one it is wired to); in each box its
// interfaces (bridge ports under their bridge) with state and addresses, its default routes
// and its NAT rules as labelled arrows. veth pairs are lines between their two ends; a DNAT
// arrow continues, dashed, to the interface that holds its destination address.
import type { NatRule, TopologyEnd, TopologyInterface, TopologyNamespace, TopologySnapshot } from '../../common/diagram.ts';
import { s } from './dom.ts';

const MARGIN = 44; // room outside the side columns for links between boxes of one column
const SIDE_W = 290;
const HOST_W = 300;
const GAP_X = 76;
const GAP_Y = 16;
const WIDTH = MARGIN * 2 + SIDE_W * 2 + HOST_W + GAP_X * 2;
const LINE_H = 16;
const PAD = 8;
const INDENT = 16; // bridge ports under their bridge
const CHAR_W = 7.2; // monospace at the diagram's 12 px
const MAX_INTERFACES = 24; // per box; the rest are counted

type Side = 'left' | 'host' | 'right';

interface Line {
  text: string;
  cls: string;
  indent?: number;
  /** Text at the right end of the line (an interface's state). */
  right?: { text: string; cls: string };
  /** The interface this line starts (its anchor for links). */
  anchor?: TopologyInterface;
  /** A NAT arrow drawn on this line, under the label line before it. */
  arrow?: NatArrow;
  title?: string;
}

interface NatArrow {
  rule: NatRule;
  from: string;
  to: string;
  /** Where a DNAT goes when that is another box's interface. */
  target?: TopologyEnd;
}

interface Box {
  ns: TopologyNamespace;
  side: Side;
  width: number;
  height: number;
  lines: Line[];
  x: number;
  y: number;
}

interface Anchor {
  box: Box;
  y: number;
}

let diagrams = 0; // marker ids must be unique in the page (a hidden copy's would not draw)

export function topologyDiagram(snap: TopologySnapshot): SVGSVGElement {
  const arrowId = `topo-arrow-${++diagrams}`;
  const boxes = snap.namespaces.map((ns) => layoutBox(ns, snap));
  place(boxes, snap);
  const anchors = new Map<string, Anchor>();
  for (const b of boxes) {
    b.lines.forEach((l, i) => {
      if (l.anchor) anchors.set(key({ namespaceId: b.ns.id, ifindex: l.anchor.ifindex }), { box: b, y: b.y + lineY(i) - 4 });
    });
  }
  const height = Math.max(LINE_H * 2, ...boxes.map((b) => b.y + b.height)) + GAP_Y + (snap.omitted ? LINE_H : 0);

  const links = s('g', { class: 'topo-links' });
  for (const l of snap.links) {
    const a = anchors.get(key(l.a));
    const b = anchors.get(key(l.b));
    if (!a || !b) continue;
    links.append(
      s(
        'g',
        { class: 'topo-link', 'data-a': key(l.a), 'data-b': key(l.b) },
        s('title', {}, `veth pair: ${endName(snap, l.a)} ⇄ ${endName(snap, l.b)}`),
        s('path', { d: connector(a, b, 12) }),
        s('circle', { cx: edgeX(a, b), cy: a.y, r: 3 }),
        s('circle', { cx: edgeX(b, a), cy: b.y, r: 3 }),
      ),
    );
  }
  const dnat = s('g', { class: 'topo-dnat' });
  for (const b of boxes) {
    b.lines.forEach((l, i) => {
      const target = l.arrow?.target && anchors.get(key(l.arrow.target));
      if (!target || target.box === b) return;
      const from: Anchor = { box: b, y: b.y + lineY(i) - 4 };
      dnat.append(
        s(
          'g',
          { class: 'topo-nat-link' },
          s('title', {}, `${l.arrow!.rule.summary} (${l.arrow!.rule.text})`),
          s('path', { d: connector(from, target, 18), 'marker-end': `url(#${arrowId})` }),
        ),
      );
    });
  }

  const footer = snap.omitted
    ? s('text', { class: 'topo-more', x: MARGIN, y: height - 4 }, `+ ${snap.omitted} more namespace${snap.omitted === 1 ? '' : 's'} of processes, not shown`)
    : null;
  return s(
    'svg',
    {
      class: 'ns-diagram topo-diagram',
      viewBox: `0 0 ${WIDTH} ${height}`,
      width: '100%',
      role: 'img',
      'aria-label': describe(snap),
      'data-taken-at': snap.takenAt,
    },
    s('title', {}, describe(snap)),
    s(
      'defs',
      {},
      s('marker', { id: arrowId, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0 0 L10 5 L0 10 z', class: 'topo-arrowhead' })),
    ),
    ...boxes.map((b) => drawBox(b, arrowId)),
    links,
    dnat,
    footer,
  );
}

// ---- one box -------------------------------------------------------------------------------

function layoutBox(ns: TopologyNamespace, snap: TopologySnapshot): Box {
  const width = ns.host ? HOST_W : SIDE_W;
  const lines: Line[] = [];
  lines.push({ text: title(ns), cls: 'ns-title', right: { text: `net:[${ns.inode}]`, cls: 'ns-inode' } });
  if (!ns.host && ns.pids.length) {
    const more = ns.processCount - ns.pids.length;
    lines.push({ text: `pid ${ns.pids.join(', ')}${more > 0 ? ` +${more}` : ''}`, cls: 'ns-count' });
  } else if (!ns.host && ns.name !== null) lines.push({ text: 'no process in it', cls: 'ns-count' });

  const max = chars(width - PAD * 2);
  const ordered = orderInterfaces(ns.interfaces);
  for (const { itf, port } of ordered.slice(0, MAX_INTERFACES)) {
    const indent = port ? INDENT : 0;
    const sub = indent + 14; // addresses and peer under the name
    const room = chars(width - PAD * 2 - sub);
    lines.push({
      text: `${port ? '└ ' : ''}${itf.name} ${itf.kind}`,
      cls: `topo-if kind-${itf.kind}${port ? ' port' : ''}`,
      indent: port ? INDENT - 14 : 0,
      right: { text: itf.state, cls: `topo-state ${stateClass(itf)}` },
      anchor: itf,
      title: `${itf.name}: ${itf.kind}, ${itf.state}${itf.up ? '' : ' (set down)'}, mac ${itf.mac || '—'}, ifindex ${itf.ifindex}${itf.master ? `, port of ${itf.master}` : ''}`,
    });
    for (const chunk of wrap(itf.addresses, room)) lines.push({ text: chunk, cls: 'topo-addr', indent: sub });
    if (itf.kind === 'veth') {
      const peer = itf.peer ? endName(snap, itf.peer, ns.id) : 'peer not in view';
      lines.push({ text: `⇄ ${peer}`, cls: itf.peer ? 'topo-peer' : 'topo-peer none', indent: sub });
    }
  }
  if (ordered.length > MAX_INTERFACES) lines.push({ text: `… ${ordered.length - MAX_INTERFACES} more interfaces`, cls: 'topo-more' });

  for (const r of ns.routes.filter((r) => r.dst === 'default')) {
    lines.push({ text: `↗ default${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`, cls: 'topo-route' });
  }

  for (const rule of snap.nat.filter((r) => r.namespaceId === ns.id)) {
    const arrow = natArrow(rule, ns, snap);
    lines.push({ text: rule.summary, cls: `topo-nat-label nat-${rule.kind.toLowerCase()}`, title: `${rule.chain}: ${rule.text}` });
    lines.push({ text: '', cls: 'topo-nat-arrow', arrow, title: rule.text });
  }
  for (const l of lines) l.text = clip(l.text, max - Math.ceil((l.indent ?? 0) / CHAR_W) - (l.right ? l.right.text.length + 1 : 0));
  const height = PAD * 2 + lines.length * LINE_H;
  return { ns, side: ns.host ? 'host' : 'right', width, height, lines, x: 0, y: 0 };
}

function drawBox(b: Box, arrowId: string): SVGGElement {
  const g = s(
    'g',
    { class: `ns-box topo-box ${b.ns.host ? 'host' : 'new'}`, transform: `translate(${b.x} ${b.y})`, 'data-ns-id': b.ns.id, 'data-ns-name': b.ns.name ?? '', 'data-host': String(b.ns.host) },
    s('rect', { x: 0, y: 0, width: b.width, height: b.height, rx: 6 }),
  );
  b.lines.forEach((l, i) => {
    const y = lineY(i);
    if (l.arrow) {
      g.append(natArrowRow(l.arrow, b.width, y, arrowId));
      return;
    }
    const text = s('text', { class: l.cls, x: PAD + (l.indent ?? 0), y, 'data-ifname': l.anchor?.name }, l.text);
    if (l.title) text.append(s('title', {}, l.title));
    g.append(text);
    if (l.right) g.append(s('text', { class: l.right.cls, x: b.width - PAD, y, 'text-anchor': 'end' }, l.right.text));
  });
  return g;
}

/** `from ────▶ to` across the box, under the rule's label. */
function natArrowRow(a: NatArrow, width: number, y: number, arrowId: string): SVGGElement {
  const room = chars(width - PAD * 2 - 14) - 6; // what the two ends may take, the arrow keeps 6
  const from = clip(a.from, Math.min(a.from.length, Math.floor(room / 2)));
  const to = clipStart(a.to, room - from.length);
  const x1 = PAD + 14 + from.length * CHAR_W + 6;
  const x2 = width - PAD - to.length * CHAR_W - 6;
  return s(
    'g',
    { class: `topo-nat nat-${a.rule.kind.toLowerCase()}`, 'data-kind': a.rule.kind, 'data-summary': a.rule.summary },
    s('title', {}, `${a.rule.chain}: ${a.rule.text}`),
    s('text', { class: 'topo-nat-end', x: PAD + 14, y }, from),
    s('line', { x1, y1: y - 4, x2: Math.max(x1 + 10, x2), y2: y - 4, 'marker-end': `url(#${arrowId})` }),
    s('text', { class: 'topo-nat-end', x: width - PAD, y, 'text-anchor': 'end' }, to),
  );
}

function title(ns: TopologyNamespace): string {
  if (ns.host) return ns.name ? `host (${ns.name})` : 'host';
  return ns.name ?? 'netns of a process';
}

function stateClass(i: TopologyInterface): string {
  if (!i.up || i.state === 'DOWN' || i.state === 'LOWERLAYERDOWN') return 'down';
  return 'up';
}

/** lo first, then each bridge followed by its ports, then the rest, in ifindex order. */
function orderInterfaces(list: TopologyInterface[]): { itf: TopologyInterface; port: boolean }[] {
  const byIndex = [...list].sort((a, b) => Number(b.kind === 'loopback') - Number(a.kind === 'loopback') || a.ifindex - b.ifindex);
  const masters = new Set(byIndex.map((i) => i.name));
  const out: { itf: TopologyInterface; port: boolean }[] = [];
  for (const itf of byIndex) {
    if (itf.master && masters.has(itf.master)) continue; // drawn under its master
    out.push({ itf, port: false });
    for (const port of byIndex.filter((p) => p.master === itf.name)) out.push({ itf: port, port: true });
  }
  return out;
}

/** What a NAT rule's arrow joins: interface (or subnet) it comes from, and where it sends. */
function natArrow(rule: NatRule, ns: TopologyNamespace, snap: TopologySnapshot): NatArrow {
  const plain = (v: string | undefined) => (v && !v.startsWith('!') ? v : undefined);
  const defaultDev = ns.routes.find((r) => r.dst === 'default')?.dev || undefined;
  if (rule.kind === 'MASQUERADE' || rule.kind === 'SNAT') {
    const src = plain(rule.source);
    const from = src ? (interfaceInSubnet(ns, src)?.name ?? src) : 'any';
    const out = plain(rule.outInterface) ?? defaultDev ?? rule.outInterface ?? 'out';
    return { rule, from, to: rule.kind === 'SNAT' ? `${out} as ${rule.to ?? '?'}` : out };
  }
  const from = `${plain(rule.inInterface) ?? (rule.destination ? rule.destination.replace(/\/32$/, '') : ns.host ? 'host' : 'any')}${rule.dport ? `:${rule.dport}` : ''}`;
  if (rule.kind === 'REDIRECT') return { rule, from, to: `:${rule.to ?? '?'}` };
  const toIp = (rule.to ?? '').replace(/:\d+(-\d+)?$/, '');
  const target = findAddress(snap, toIp);
  const where = target ? `${target.ns.id === ns.id ? '' : `${shortName(target.ns)}/`}${target.itf.name}` : (rule.to ?? '?');
  return { rule, from, to: where, ...(target ? { target: { namespaceId: target.ns.id, ifindex: target.itf.ifindex } } : {}) };
}

function interfaceInSubnet(ns: TopologyNamespace, cidr: string): TopologyInterface | undefined {
  const net = parseCidr(cidr);
  if (!net) return undefined;
  const inIt = (a: string) => {
    const p = parseCidr(a);
    return p !== null && (p.ip & net.mask) === net.ip;
  };
  const hits = ns.interfaces.filter((i) => i.addresses.some(inIt));
  return hits.find((i) => i.kind === 'bridge') ?? hits[0];
}

function findAddress(snap: TopologySnapshot, ip: string): { ns: TopologyNamespace; itf: TopologyInterface } | undefined {
  if (!ip) return undefined;
  for (const ns of snap.namespaces) {
    const itf = ns.interfaces.find((i) => i.kind !== 'loopback' && i.addresses.some((a) => a.split('/')[0] === ip));
    if (itf) return { ns, itf };
  }
  return undefined;
}

function parseCidr(cidr: string): { ip: number; mask: number } | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(cidr);
  if (!m) return null;
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  const ip = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  return { ip: (ip & mask) >>> 0, mask };
}

// ---- placing the boxes ---------------------------------------------------------------------

/** The host in the middle; each other namespace on the side of one it is wired to, else the shorter side. */
function place(boxes: Box[], snap: TopologySnapshot): void {
  const byId = new Map(boxes.map((b) => [b.ns.id, b]));
  const wired = new Map<string, string[]>();
  for (const l of snap.links) {
    if (l.a.namespaceId === l.b.namespaceId) continue;
    wired.set(l.a.namespaceId, [...(wired.get(l.a.namespaceId) ?? []), l.b.namespaceId]);
    wired.set(l.b.namespaceId, [...(wired.get(l.b.namespaceId) ?? []), l.a.namespaceId]);
  }
  // Breadth first from the host: a namespace comes after one it is wired to (a hub before its spokes).
  const order: Box[] = [];
  const seen = new Set<string>();
  const degree = (b: Box) => (b.ns.host ? Infinity : (wired.get(b.ns.id)?.length ?? 0));
  for (const start of [...boxes].sort((a, b) => degree(b) - degree(a))) {
    if (seen.has(start.ns.id)) continue;
    const queue = [start];
    seen.add(start.ns.id);
    while (queue.length) {
      const b = queue.shift()!;
      order.push(b);
      for (const id of wired.get(b.ns.id) ?? []) {
        const n = byId.get(id);
        if (n && !seen.has(id)) {
          seen.add(id);
          queue.push(n);
        }
      }
    }
  }
  const heights = { left: 0, right: 0 };
  const placed = new Set<string>();
  for (const b of order) {
    if (b.ns.host) continue;
    const neighbour = (wired.get(b.ns.id) ?? []).map((id) => byId.get(id)).find((n) => n && !n.ns.host && placed.has(n.ns.id));
    b.side = neighbour ? neighbour.side : heights.right <= heights.left ? 'right' : 'left';
    heights[b.side as 'left' | 'right'] += b.height + GAP_Y;
    placed.add(b.ns.id);
  }
  const used = (side: Side) => boxes.some((b) => b.side === side);
  // Centre what is there: without a left column, the rest moves left.
  const shift = used('left') ? 0 : used('right') ? -(SIDE_W + GAP_X) / 2 : -(SIDE_W + GAP_X);
  const colX: Record<Side, number> = {
    left: MARGIN + shift,
    host: MARGIN + SIDE_W + GAP_X + shift,
    right: MARGIN + SIDE_W + GAP_X + HOST_W + GAP_X + shift,
  };
  const y: Record<Side, number> = { left: GAP_Y, host: GAP_Y, right: GAP_Y };
  for (const b of order) {
    b.x = colX[b.side];
    b.y = y[b.side];
    y[b.side] += b.height + GAP_Y;
  }
}

// ---- lines between boxes -------------------------------------------------------------------

const COLUMN: Record<Side, number> = { left: 0, host: 1, right: 2 };

/** The x where a line from a leaves a's box towards b. */
function edgeX(a: Anchor, b: Anchor): number {
  const ca = COLUMN[a.box.side];
  const cb = COLUMN[b.box.side];
  if (ca < cb) return a.box.x + a.box.width;
  if (ca > cb) return a.box.x;
  return a.box.side === 'left' ? a.box.x : a.box.x + a.box.width; // same column: the outer side
}

/** A curve from a's box edge to b's; within one column it bulges out by `bulge`. */
function connector(a: Anchor, b: Anchor, bulge: number): string {
  const x1 = edgeX(a, b);
  const x2 = edgeX(b, a);
  if (a.box.side === b.box.side) {
    const far = bulge + Math.min(24, Math.abs(b.y - a.y) / 16); // longer loops further out: they fan, not bundle
    const out = a.box.side === 'left' ? -far : far;
    return `M${x1} ${a.y} C${x1 + out} ${a.y} ${x2 + out} ${b.y} ${x2} ${b.y}`;
  }
  const mid = (x1 + x2) / 2;
  return `M${x1} ${a.y} C${mid} ${a.y} ${mid} ${b.y} ${x2} ${b.y}`;
}

// ---- text ----------------------------------------------------------------------------------

const lineY = (i: number) => PAD + (i + 1) * LINE_H - 4;
const chars = (px: number) => Math.floor(px / CHAR_W);
const key = (e: TopologyEnd) => `${e.namespaceId}/${e.ifindex}`;

function shortName(ns: TopologyNamespace): string {
  return ns.host ? 'host' : (ns.name ?? `pid ${ns.pids[0] ?? '?'}`);
}

/** "nsname/ifname" (just "ifname" in the namespace `here`). */
function endName(snap: TopologySnapshot, e: TopologyEnd, here?: string): string {
  const ns = snap.namespaces.find((n) => n.id === e.namespaceId);
  const itf = ns?.interfaces.find((i) => i.ifindex === e.ifindex);
  const name = itf?.name ?? `if${e.ifindex}`;
  if (!ns) return name;
  return e.namespaceId === here ? name : `${shortName(ns)}/${name}`;
}

function wrap(words: string[], width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out.slice(0, 4);
}

/** Keep the end ("…c2/eth0"): the interface matters more than its namespace's name. */
function clipStart(text: string, max: number): string {
  return text.length > max ? `…${text.slice(text.length - Math.max(1, max - 1))}` : text;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text;
}

function describe(snap: TopologySnapshot): string {
  const others = snap.namespaces.filter((n) => !n.host).length;
  return `Network topology at ${snap.takenAt}: host${others ? ` and ${others} other network namespace${others === 1 ? '' : 's'}` : ' only'}, ${snap.links.length} veth pair${snap.links.length === 1 ? '' : 's'}, ${snap.nat.length} NAT rule${snap.nat.length === 1 ? '' : 's'}`;
}
