import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  cgroupMount,
  cgroupPids,
  defineCheck,
  enableControllers,
  keyedFile,
  readCgroupFile,
  shortCgroup,
  verifierCgroup,
  type RunResult,
} from '../../../kernels/check/index.ts';

/** What --json prints for one cgroup (the schema of the lesson). */
interface JNode {
  path: string;
  subtree_control: string[];
  procs: number | null;
  memory_current: number | null;
  cpu_usage_usec: number | null;
  pids_current: number | null;
  children: JNode[];
}

/** One cgroup as the kernel's files say it; null where the file does not exist. */
interface Truth {
  path: string;
  depth: number;
  subtree: string[];
  procs: number;
  memory: number | null;
  cpu: number | null;
  pids: number | null;
}

type Usage = 'memory' | 'cpu' | 'pids';
const USAGE: { key: Usage; json: keyof JNode; file: string }[] = [
  { key: 'memory', json: 'memory_current', file: 'memory.current' },
  { key: 'cpu', json: 'cpu_usage_usec', file: 'cpu.stat usage_usec' },
  { key: 'pids', json: 'pids_current', file: 'pids.current' },
];

const num = (s: string | null) => (s !== null && /^\d+$/.test(s) ? Number(s) : null);

/** The kernel's tree under an absolute path, depth-first, children by name. */
function kernelTree(mount: string, abs: string, depth = 0, out: Truth[] = []): Truth[] {
  const stat = keyedFile(abs, 'cpu.stat');
  out.push({
    path: shortCgroup(abs),
    depth,
    subtree: (readCgroupFile(abs, 'cgroup.subtree_control') ?? '').split(/\s+/).filter(Boolean).sort(),
    procs: cgroupPids(abs).length,
    memory: num(readCgroupFile(abs, 'memory.current')),
    cpu: stat['usage_usec'] ?? null,
    pids: num(readCgroupFile(abs, 'pids.current')),
  });
  const dirs = readdirSync(abs, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const d of dirs) kernelTree(mount, join(abs, d), depth + 1, out);
  return out;
}

/** Shape errors of a --json node and its children ("" when it is fine). */
function shapeError(n: unknown, at: string): string {
  if (typeof n !== 'object' || n === null || Array.isArray(n)) return `${at} is not an object`;
  const o = n as Record<string, unknown>;
  if (typeof o['path'] !== 'string') return `${at}: "path" is not a string`;
  const where = `${at} (${o['path']})`;
  if (!Array.isArray(o['subtree_control']) || !o['subtree_control'].every((c) => typeof c === 'string')) return `${where}: "subtree_control" is not an array of strings`;
  for (const k of ['procs', 'memory_current', 'cpu_usage_usec', 'pids_current']) {
    if (!(k in o)) return `${where}: no "${k}" (null when the file is missing)`;
    if (o[k] !== null && typeof o[k] !== 'number') return `${where}: "${k}" is ${JSON.stringify(o[k])}, not a number or null`;
  }
  if (!Array.isArray(o['children'])) return `${where}: "children" is not an array`;
  for (let i = 0; i < o['children'].length; i++) {
    const e = shapeError(o['children'][i], `${where}.children[${i}]`);
    if (e) return e;
  }
  return '';
}

function flatten(n: JNode, depth = 0, out: { node: JNode; depth: number }[] = []) {
  out.push({ node: n, depth });
  for (const c of n.children) flatten(c, depth + 1, out);
  return out;
}

/** A human line, parsed: name [controllers] procs= memory= cpu= pids=, with its depth from the tree prefix. */
interface HLine {
  depth: number;
  name: string;
  subtree: string[];
  procs: string;
  memory: string;
  cpu: string;
  pids: string;
}
const LINE = /^((?:│   |    )*)(├── |└── )?(\S+)\s+\[([^\]]*)\]\s+procs=(\S+)\s+memory=(\S+)\s+cpu=(\S+)\s+pids=(\S+)\s*$/u;

function parseHuman(text: string): { lines: HLine[]; bad: string | null } {
  const lines: HLine[] = [];
  for (const raw of text.split('\n').filter((l) => l.trim())) {
    const m = LINE.exec(raw);
    if (!m) return { lines, bad: raw };
    lines.push({
      depth: m[2] ? m[1]!.length / 4 + 1 : 0,
      name: m[3]!,
      subtree: m[4]!.split(/\s+/).filter(Boolean).sort(),
      procs: m[5]!,
      memory: m[6]!,
      cpu: m[7]!,
      pids: m[8]!,
    });
  }
  return { lines, bad: null };
}

/** "4.0K", "1.9M", "812B" → [bytes, how far off the rounding may be]. */
function parseSize(s: string): [number, number] | null {
  const m = /^(\d+(?:\.\d+)?)([BKMGT])$/.exec(s);
  if (!m) return null;
  const unit = 1024 ** 'BKMGT'.indexOf(m[2]!);
  return [Number(m[1]) * unit, m[2] === 'B' ? 0 : unit * 0.05];
}
/** "0.012s" → [usec, rounding]. */
function parseSeconds(s: string): [number, number] | null {
  const m = /^(\d+(?:\.(\d+))?)s$/.exec(s);
  return m ? [Number(m[1]) * 1e6, 0.5 * 10 ** (6 - (m[2]?.length ?? 0))] : null;
}

const MiB = 1024 * 1024;
/** Live counters move between the check's reads and the program's: memory by per-CPU charge batches. */
const slack = (k: Usage, v: number) => (k === 'memory' ? Math.max(512 * 1024, v * 0.05) : k === 'cpu' ? 2000 : 0);
const fmt = (k: Usage, v: number | null) => (v === null ? 'no file' : k === 'memory' ? `${(v / MiB).toFixed(2)} MiB` : k === 'cpu' ? `${v} µs` : String(v));

/** Does a printed value agree with the kernel's, read before and after the program ran? */
function agrees(k: Usage, got: number | null, round: number, before: Truth, after: Truth): boolean {
  const b = before[k];
  const a = after[k];
  if (b === null || a === null) return got === null;
  if (got === null) return false;
  const lo = Math.min(a, b) - slack(k, Math.min(a, b)) - round;
  const hi = Math.max(a, b) + slack(k, Math.max(a, b)) + round;
  return got >= lo && got <= hi;
}

const exited = (r: RunResult) => `exit status ${r.code ?? r.signal}${r.stderr.trim() ? `, stderr: ${r.stderr.trim().split('\n').slice(-2).join(' / ')}` : ''}`;
const few = (list: string[], n = 4) => (list.length > n ? `${list.slice(0, n).join('; ')}; … (${list.length} in all)` : list.join('; '));

export default defineCheck(
  async (t) => {
    const mount = cgroupMount();

    const bad = [await t.run([]), await t.run(['tree']), await t.run(['list', '/'])];
    t.assert({
      id: 'usage-error',
      title: 'Without a subcommand, without a root, or with an unknown subcommand, it exits with status 2',
      pass: bad.every((r) => r.code === 2),
      expected: '`cgroup` → 2, `cgroup tree` → 2, `cgroup list /` → 2',
      observed: bad.map((r) => `\`${r.command}\` → ${r.code ?? r.signal}`).join(', '),
      hint: 'Check the arguments before doing anything: print the usage line to stderr and os.Exit(2).',
    });
    const ghost = `/${t.name('nosuch')}`;
    const missing = await t.run(['tree', ghost]);
    t.assert({
      id: 'missing-root',
      title: `\`cgroup tree ${ghost}\` (no such cgroup) fails`,
      pass: missing.code !== 0 && missing.stdout.trim() === '',
      expected: 'a non-zero exit status, an error on stderr, nothing on stdout',
      observed: `${exited(missing)}${missing.stdout.trim() ? `, stdout: ${missing.stdout.trim().split('\n')[0]}` : ''}`,
      hint: `Make sure the root exists (its cgroup.procs is there) before printing anything, and say so on stderr if it does not.`,
    });

    // The hierarchy: three levels under a cgroup of the check's, with the controllers given
    // top-down (the root gives cpu, memory and pids; top gives all three; app only memory and
    // pids; db none, so backup has no memory or pids files, only the core cpu.stat).
    //   top [cpu memory pids] ─ app [memory pids] ─ web (2 sleeps, 4 MiB of page cache)
    //                         │                   └ worker (1 sleep, after 0.3 s of CPU)
    //                         └ db [] (1 sleep) ─ backup (1 sleep)
    enableControllers(mount, ['cpu', 'memory', 'pids']);
    const top = verifierCgroup(t, { name: t.name('lxtree'), enableForChildren: ['cpu', 'memory', 'pids'] });
    const app = verifierCgroup(t, { parent: top.path, name: 'app', enableForChildren: ['memory', 'pids'] });
    const web = verifierCgroup(t, { parent: app.path, name: 'web' });
    const worker = verifierCgroup(t, { parent: app.path, name: 'worker' });
    const db = verifierCgroup(t, { parent: top.path, name: 'db' });
    const backup = verifierCgroup(t, { parent: db.path, name: 'backup' });
    await web.start('dd', ['if=/dev/zero', `of=${join(t.tmp, 'web.img')}`, 'bs=1M', 'count=4', 'status=none']).done;
    await worker.start('timeout', ['0.3', 'sh', '-c', 'while :; do :; done']).done;
    const want: [typeof web, number][] = [[web, 2], [worker, 1], [db, 1], [backup, 1]];
    for (const [cg, n] of want) for (let i = 0; i < n; i++) cg.start('sleep', ['60']);
    const settled = await t.waitFor(() => want.every(([cg, n]) => cgroupPids(cg.path).length === n), 10_000);
    if (!settled) throw new Error(`setup: the sleeps did not all reach their cgroups (${want.map(([cg]) => `${cg.rel}: ${cgroupPids(cg.path).length}`).join(', ')})`);
    await t.snapshotCgroups(top.rel, [top.rel]);

    const before = kernelTree(mount, top.path);
    const rJson = await t.run(['tree', '--json', top.rel]);
    const rAbs = await t.run(['tree', '--json', top.path]);
    const rHuman = await t.run(['tree', top.rel]);
    const after = kernelTree(mount, top.path);
    const truth = new Map(before.map((n, i) => [n.path, { b: n, a: after[i]! }]));
    const kernelShape = before.map((n) => `${n.path}@${n.depth}`).sort();

    // ---- --json ----
    let parsed: unknown;
    let parseError = '';
    try {
      parsed = JSON.parse(rJson.stdout);
    } catch (err) {
      parseError = (err as Error).message;
    }
    const shape = parseError ? '' : shapeError(parsed, 'the top object');
    t.must({
      id: 'json-valid',
      title: `\`cgroup tree --json ${top.rel}\` prints one JSON object in the lesson's schema`,
      pass: rJson.code === 0 && !parseError && !shape,
      expected: 'exit status 0; {"path", "subtree_control": [...], "procs", "memory_current", "cpu_usage_usec", "pids_current", "children": [...]}, nested',
      observed: rJson.code !== 0 ? exited(rJson) : parseError ? `not JSON (${parseError}): ${rJson.stdout.slice(0, 120) || '(nothing)'}` : shape || 'one object in the schema, children nested',
      hint: 'Marshal one node per cgroup with encoding/json, children nested in "children" (an empty array for a leaf), and a null (a nil pointer) for a usage whose file is missing.',
    });
    const flat = flatten(parsed as JNode);
    const printedShape = flat.map((f) => `${f.node.path}@${f.depth}`).sort();
    const missingPaths = kernelShape.filter((p) => !printedShape.includes(p));
    const extraPaths = printedShape.filter((p) => !kernelShape.includes(p));
    t.assert({
      id: 'json-structure',
      title: `The JSON tree has exactly the cgroups under ${top.rel}, nested as in the kernel`,
      pass: missingPaths.length === 0 && extraPaths.length === 0,
      expected: `${before.length} cgroups: ${before.map((n) => n.path).join(', ')} (paths relative to the mount)`,
      observed: missingPaths.length || extraPaths.length ? `missing: ${few(missingPaths) || 'none'}; not in the kernel: ${few(extraPaths) || 'none'} (path@depth)` : `${flat.length} cgroups, as in the kernel`,
      hint: 'Walk every directory below the root, recursively (each one is a cgroup), and name each by its path relative to the cgroup2 mount, "/" + the names from the root down, as /proc/<pid>/cgroup does.',
    });

    const byPath = new Map(flat.map((f) => [f.node.path, f.node]));
    const diffs = (what: (n: JNode, tr: { b: Truth; a: Truth }) => string) => {
      const out: string[] = [];
      for (const [path, tr] of truth) {
        const n = byPath.get(path);
        const d = n ? what(n, tr) : '';
        if (d) out.push(`${path}: ${d}`);
      }
      return out;
    };
    const ctl = diffs((n, tr) => {
      const got = [...n.subtree_control].sort().join(' ');
      const want = tr.b.subtree.join(' ');
      return got === want ? '' : `printed [${got}], cgroup.subtree_control [${want}]`;
    });
    t.assert({
      id: 'json-controllers',
      title: 'Each cgroup\'s "subtree_control" is its cgroup.subtree_control',
      pass: ctl.length === 0,
      expected: before.map((n) => `${n.path} [${n.subtree.join(' ')}]`).join(', '),
      observed: ctl.length ? few(ctl) : 'all equal',
      hint: 'cgroup.subtree_control is what a cgroup enables for its children; cgroup.controllers is what its parent gave it (what it may enable). Print the first.',
    });
    const procs = diffs((n, tr) => (n.procs === tr.b.procs ? '' : `printed ${n.procs}, cgroup.procs has ${tr.b.procs}`));
    t.assert({
      id: 'json-procs',
      title: 'Each cgroup\'s "procs" is the number of processes in its own cgroup.procs',
      pass: procs.length === 0,
      expected: before.map((n) => `${n.path} ${n.procs}`).join(', '),
      observed: procs.length ? few(procs) : 'all equal',
      hint: 'Count the lines of that cgroup\'s cgroup.procs only: it lists the processes of the cgroup itself, not of its children (pids.current is the one that counts the subtree, and it counts threads).',
    });
    const use = diffs((n, tr) =>
      USAGE.map(({ key, json, file }) => {
        const got = n[json] as number | null;
        return agrees(key, got, 0, tr.b, tr.a) ? '' : `${json} printed ${got === null ? 'null' : fmt(key, got)}, ${file} ${fmt(key, tr.b[key])}`;
      })
        .filter(Boolean)
        .join(', '),
    );
    t.assert({
      id: 'json-usage',
      title: 'Each cgroup\'s usage is the kernel\'s: memory.current, cpu.stat usage_usec, pids.current (null where there is no such file)',
      pass: use.length === 0,
      expected: `the files' values, read before and after the program ran (memory within 5 % or 512 KiB, CPU within 2 ms); null for ${before.filter((n) => n.memory === null).map((n) => n.path).join(', ')} (no memory.current, no pids.current: ${db.rel} enables no controller for it)`,
      observed: use.length ? few(use) : 'all agree',
      hint: 'memory.current and pids.current are single numbers; cpu.stat is flat-keyed ("usage_usec 1234" on its own line). A file that does not exist is no usage at all: null, not 0.',
    });

    const absNodes = (() => {
      try {
        return flatten(JSON.parse(rAbs.stdout) as JNode).map((f) => `${f.node.path}@${f.depth}`).sort();
      } catch {
        return null;
      }
    })();
    t.assert({
      id: 'json-absolute-root',
      title: `An absolute root (${top.path}) names the same cgroup as ${top.rel}`,
      pass: rAbs.code === 0 && JSON.stringify(absNodes) === JSON.stringify(printedShape),
      expected: `exit status 0 and the same ${flat.length} cgroups as \`cgroup tree --json ${top.rel}\``,
      observed: rAbs.code !== 0 ? exited(rAbs) : absNodes === null ? `not JSON: ${rAbs.stdout.slice(0, 120)}` : JSON.stringify(absNodes) === JSON.stringify(printedShape) ? 'the same tree' : `another tree: ${few(absNodes)}`,
      hint: `A path that starts with the mount point (${mount}) is absolute: strip the mount to get the cgroup path. Anything else is relative to the mount.`,
    });

    // ---- the human tree ----
    const human = parseHuman(rHuman.stdout);
    const hPaths: string[] = [];
    const stack: string[] = [];
    for (const l of human.lines) {
      if (l.depth === 0) stack.length = 0;
      stack.length = l.depth;
      stack.push(l.depth === 0 ? top.rel : `${stack[l.depth - 1] ?? '?'}/${l.name}`);
      hPaths.push(`${stack[l.depth]}@${l.depth}`);
    }
    const rootName = human.lines[0]?.name;
    const hShapeOk = rHuman.code === 0 && !human.bad && human.lines.length > 0 && [top.rel, top.path].includes(rootName ?? '') && JSON.stringify([...hPaths].sort()) === JSON.stringify(kernelShape);
    t.assert({
      id: 'human-structure',
      title: `\`cgroup tree ${top.rel}\` draws the tree: the root, then each child under its parent`,
      pass: hShapeOk,
      expected: `${before.length} lines, the first "${top.rel} [cpu memory pids] procs=0 memory=… cpu=… pids=…", the others "├── name […] …" / "└── name […] …" indented by 4 columns per level`,
      observed:
        rHuman.code !== 0
          ? exited(rHuman)
          : human.bad !== null
            ? `a line not in the format: "${human.bad}"`
            : `${human.lines.length} lines: ${few(hPaths.map((p) => p.replace(/@(\d+)$/, ' (depth $1)')), 8)}${rootName !== top.rel && rootName !== top.path ? ` (the first names ${rootName})` : ''}`,
      hint: 'Print the root by its path relative to the mount, then its children depth-first by name, each after "├── " (or "└── " for the last one), with "│   " or "    " carried down for each level above.',
    });

    const hDiffs: string[] = [];
    human.lines.forEach((l, i) => {
      const path = hPaths[i]?.replace(/@\d+$/, '') ?? '';
      const tr = truth.get(path);
      if (!tr) return;
      const d: string[] = [];
      if (l.subtree.join(' ') !== tr.b.subtree.join(' ')) d.push(`[${l.subtree.join(' ')}] for [${tr.b.subtree.join(' ')}]`);
      if (l.procs !== String(tr.b.procs)) d.push(`procs=${l.procs} for ${tr.b.procs}`);
      const vals: Record<Usage, [number, number] | null | 'bad'> = {
        memory: l.memory === '-' ? null : parseSize(l.memory) ?? 'bad',
        cpu: l.cpu === '-' ? null : parseSeconds(l.cpu) ?? 'bad',
        pids: l.pids === '-' ? null : /^\d+$/.test(l.pids) ? [Number(l.pids), 0] : 'bad',
      };
      for (const { key } of USAGE) {
        const v = vals[key];
        const shown = key === 'memory' ? l.memory : key === 'cpu' ? l.cpu : l.pids;
        if (v === 'bad' || !agrees(key, v === null ? null : v[0], v === null ? 0 : v[1], tr.b, tr.a)) d.push(`${key}=${shown} for ${fmt(key, tr.b[key])}`);
      }
      if (d.length) hDiffs.push(`${path}: ${d.join(', ')}`);
    });
    t.assert({
      id: 'human-values',
      title: 'Each line of the human tree shows the kernel\'s controllers, process count and usage',
      pass: hShapeOk && hDiffs.length === 0,
      expected: 'the same values as the files ("-" where there is no file); memory as 812B, 4.0K, 1.9M (1024-based, one decimal), CPU as seconds to the millisecond (0.012s)',
      observed: !hShapeOk ? 'the tree itself is not right (human-structure)' : hDiffs.length ? few(hDiffs) : 'all agree',
      hint: 'The human tree shows what --json holds: subtree_control in brackets, procs=, memory= (memory.current), cpu= (usage_usec), pids= (pids.current), "-" for a missing file.',
    });
  },
  { timeoutMs: 120_000 },
);
