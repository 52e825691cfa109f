// The notebook model: what the server parses from notebooks/ and sends to the page.
// See docs/notebook-format.md for the file format these types come from.
import type { FeatureId } from './features.ts';

export const CELL_KINDS = ['text', 'go', 'terminal', 'check', 'diagram'] as const;
export type CellKind = (typeof CELL_KINDS)[number];

export const DIAGRAM_KINDS = ['namespaces', 'topology', 'cgroups'] as const;
export type DiagramKind = (typeof DIAGRAM_KINDS)[number];

export type Cell =
  | { kind: 'text'; html: string }
  | { kind: 'go' }
  | { kind: 'terminal' }
  | { kind: 'check'; html: string }
  /** root: where a cgroups diagram starts, relative to the cgroup2 mount (`%% diagram cgroups /luxlab`). */
  | { kind: 'diagram'; diagram: DiagramKind; root?: string };

/** One challenge of a stage, as the page sees it (no solution code: that is fetched on request). */
export interface Challenge {
  id: string;
  number: string; // curriculum number, e.g. "5.1"
  title: string;
  stage: number;
  binary: string; // go build -o <binary>
  usage: string;
  /** Kernel/system features its check needs; without them the check is not run (lux doctor). */
  requires: FeatureId[];
  cells: Cell[];
}

export interface Stage {
  stage: number;
  title: string;
  slug: string; // folder under notebooks/, e.g. "09-namespaces"
  introHtml: string;
  challenges: Challenge[];
}

/** A stage of the curriculum, whether or not a notebook exists for it yet. */
export interface CurriculumStage {
  stage: number;
  title: string;
  challenges: { number: string; title: string; binary: string }[];
}

export interface ChallengeProgress {
  status: 'passed' | 'failed' | 'not-tried';
  at?: string; // ISO time of the last check
}

/** GET /api/home */
export interface HomeView {
  stages: (CurriculumStage & {
    slug: string | null; // null: no notebook yet ("coming")
    progress: Record<string, ChallengeProgress>; // by curriculum number
  })[];
  notebookErrors: NotebookError[];
}

/** A malformed notebook: the server refuses it and keeps serving the others. */
export interface NotebookError {
  file: string; // path relative to the repository
  line: number; // 1-based
  reason: string;
}
