// Pure parsing of notebook files (docs/notebook-format.md): text in, data or a located error out.
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { CELL_KINDS, DIAGRAM_KINDS, type CellKind, type DiagramKind } from '../../common/notebook.ts';
import { FEATURE_IDS, type FeatureId } from '../../common/features.ts';

export class NotebookParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

export interface RawCell {
  kind: CellKind;
  arg: string;
  body: string; // Markdown for text and check cells
  line: number; // line of the %% marker
}

interface FrontMatter {
  data: Record<string, unknown>;
  bodyStart: number; // 0-based index of the first line after the closing ---
  lineOf(key: string): number;
}

/** `---` YAML `---` at the top. Every scalar is read as a string (5.10 must not become 5.1). */
function frontMatter(text: string, file: string): FrontMatter {
  const lines = text.split('\n');
  if (lines[0]?.trim() !== '---') throw new NotebookParseError(file, 1, 'expected front matter: the file must start with a line "---"');
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
  if (end < 0) throw new NotebookParseError(file, 1, 'front matter is not closed by a line "---"');
  let data: unknown;
  try {
    data = parseYaml(lines.slice(1, end).join('\n'), { schema: 'failsafe', uniqueKeys: true });
  } catch (err) {
    const line = err instanceof YAMLParseError ? (err.linePos?.[0].line ?? 1) + 1 : 2;
    throw new NotebookParseError(file, line, `front matter: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new NotebookParseError(file, 2, 'front matter must be a YAML mapping of key: value');
  }
  return {
    data: data as Record<string, unknown>,
    bodyStart: end + 1,
    lineOf: (key) => {
      const i = lines.slice(1, end).findIndex((l) => l.startsWith(`${key}:`));
      return i < 0 ? 1 : i + 2;
    },
  };
}

function str(fm: FrontMatter, key: string, file: string, pattern?: RegExp, what?: string): string {
  const v = fm.data[key];
  if (v === undefined) throw new NotebookParseError(file, 1, `front matter: missing "${key}"`);
  if (typeof v !== 'string' || v.trim() === '') throw new NotebookParseError(file, fm.lineOf(key), `front matter: "${key}" must be a non-empty string`);
  if (pattern && !pattern.test(v)) throw new NotebookParseError(file, fm.lineOf(key), `front matter: "${key}" must be ${what} (got "${v}")`);
  return v.trim();
}

export interface ChallengeFile {
  id: string;
  number: string;
  title: string;
  binary: string;
  usage: string;
  requires: FeatureId[];
  cells: RawCell[];
}

/** Optional `requires:` list of feature ids (common/features.ts). */
function requires(fm: FrontMatter, file: string): FeatureId[] {
  const v = fm.data['requires'];
  if (v === undefined) return [];
  const line = fm.lineOf('requires');
  if (!Array.isArray(v)) throw new NotebookParseError(file, line, 'front matter: "requires" must be a list of feature ids');
  for (const f of v) {
    if (!(FEATURE_IDS as readonly unknown[]).includes(f)) {
      throw new NotebookParseError(file, line, `front matter: unknown feature "${String(f)}" in "requires" (known: ${FEATURE_IDS.join(', ')})`);
    }
  }
  return v as FeatureId[];
}

const CELL_MARKER = /^%%(.*)$/;

/** A challenge.md: front matter, then cells each opened by a line `%% <kind> [arg]`. */
export function parseChallenge(text: string, file: string): ChallengeFile {
  const fm = frontMatter(text, file);
  const meta = {
    id: str(fm, 'id', file, /^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    number: str(fm, 'number', file, /^\d+\.\d+$/, 'a curriculum number like 5.1'),
    title: str(fm, 'title', file),
    binary: str(fm, 'binary', file, /^[a-z][a-z0-9-]*$/, 'a file name of lower-case letters, digits and dashes'),
    usage: str(fm, 'usage', file),
    requires: requires(fm, file),
  };
  const lines = text.split('\n');
  const cells: RawCell[] = [];
  let current: RawCell | null = null;
  const bodyLines: string[] = [];
  const close = () => {
    if (current) cells.push({ ...current, body: bodyLines.join('\n').trim() });
    bodyLines.length = 0;
  };
  for (let i = fm.bodyStart; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const m = CELL_MARKER.exec(line);
    if (!m) {
      if (!current && line.trim() !== '') throw new NotebookParseError(file, i + 1, 'text outside a cell: start a cell with a line "%% text"');
      bodyLines.push(line);
      continue;
    }
    close();
    const [kind = '', ...rest] = (m[1] ?? '').trim().split(/\s+/);
    if (!(CELL_KINDS as readonly string[]).includes(kind)) {
      throw new NotebookParseError(file, i + 1, `unknown cell kind "${kind}" (expected one of: ${CELL_KINDS.join(', ')})`);
    }
    const arg = rest.join(' ');
    if (kind === 'diagram') checkDiagram(rest, file, i + 1);
    if ((kind === 'go' || kind === 'check' || kind === 'terminal') && cells.some((c) => c.kind === kind)) {
      throw new NotebookParseError(file, i + 1, `a challenge has at most one "${kind}" cell`);
    }
    current = { kind: kind as CellKind, arg, body: '', line: i + 1 };
  }
  close();
  if (cells.length === 0) throw new NotebookParseError(file, fm.bodyStart + 1, 'no cells: a challenge needs at least a "%% text" cell');
  return { ...meta, cells };
}

/** `%% diagram <name>`, and for cgroups an optional root: `%% diagram cgroups /luxlab`. */
function checkDiagram([name = '', root, ...extra]: string[], file: string, line: number): void {
  if (!(DIAGRAM_KINDS as readonly string[]).includes(name)) {
    throw new NotebookParseError(file, line, `unknown diagram "${name}" (expected one of: ${DIAGRAM_KINDS.join(', ')})`);
  }
  if (root === undefined) return;
  if (name !== 'cgroups' || extra.length) throw new NotebookParseError(file, line, `"%% diagram ${name}" takes ${name === 'cgroups' ? 'at most a root cgroup' : 'no argument'}`);
  if (!root.startsWith('/') || root.split('/').includes('..')) {
    throw new NotebookParseError(file, line, `the cgroups diagram's root must be a path relative to the cgroup2 mount, starting with "/" and without ".." (got "${root}")`);
  }
}

export function diagramKind(cell: RawCell): DiagramKind {
  return cell.arg.split(' ')[0] as DiagramKind;
}

/** The cgroups diagram's root, when the cell names one. */
export function diagramRoot(cell: RawCell): string | undefined {
  return cell.arg.split(' ')[1];
}

export interface StageFile {
  stage: number;
  title: string;
  challenges: string[]; // challenge folder names, in order
  intro: string;
  challengesLine: number;
}

/** A stage's notebook.md: front matter (stage, title, challenges) and an introduction. */
export function parseStage(text: string, file: string): StageFile {
  const fm = frontMatter(text, file);
  const stage = Number(str(fm, 'stage', file, /^\d+$/, 'a whole number'));
  const title = str(fm, 'title', file);
  const list = fm.data['challenges'];
  if (!Array.isArray(list) || list.length === 0 || !list.every((c) => typeof c === 'string')) {
    throw new NotebookParseError(file, fm.lineOf('challenges'), 'front matter: "challenges" must be a list of challenge folder names');
  }
  return {
    stage,
    title,
    challenges: list as string[],
    intro: text.split('\n').slice(fm.bodyStart).join('\n').trim(),
    challengesLine: fm.lineOf('challenges'),
  };
}
