// Loads every stage under notebooks/: a malformed notebook is reported (file, line, reason)
// and left out; the others are served.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Cell, Challenge, CurriculumStage, NotebookError, Stage } from '../../common/notebook.ts';
import { parseCurriculum } from './curriculum.ts';
import { renderMarkdown } from './markdown.ts';
import { diagramKind, diagramRoot, NotebookParseError, parseChallenge, parseStage, type ChallengeFile } from './parse.ts';

/** A wrong solution kept as a fixture, with the assertion it must fail. */
export interface WrongSolution {
  name: string;
  path: string;
  expectFail: string;
}

/** Where a challenge's files are on disk: the server's private view, never sent whole. */
export interface ChallengeSource {
  challenge: Challenge;
  dir: string;
  starter: string;
  solution: string;
  verifier: string | null;
  wrong: WrongSolution[];
}

export interface Catalog {
  stages: Stage[];
  challenges: Map<string, ChallengeSource>;
  curriculum: CurriculumStage[];
  errors: NotebookError[];
}

export const EXPECT_FAIL = /^\/\/ expect-fail: ([a-z0-9-]+)/m;

export function loadCatalog(notebooksDir: string, repoRoot = join(notebooksDir, '..')): Catalog {
  const rel = (p: string) => relative(repoRoot, p);
  const errors: NotebookError[] = [];
  const stages: Stage[] = [];
  const challenges = new Map<string, ChallengeSource>();
  const curriculum = parseCurriculum(readFileSync(join(notebooksDir, 'curriculum.md'), 'utf8'));

  for (const slug of readdirSync(notebooksDir).sort()) {
    const stageFile = join(notebooksDir, slug, 'notebook.md');
    if (!existsSync(stageFile)) continue;
    try {
      const parsed = parseStage(readFileSync(stageFile, 'utf8'), rel(stageFile));
      const sources: ChallengeSource[] = [];
      for (const name of parsed.challenges) {
        const dir = join(notebooksDir, slug, name);
        const file = join(dir, 'challenge.md');
        if (!existsSync(file)) throw new NotebookParseError(rel(stageFile), parsed.challengesLine, `challenge folder "${name}" has no challenge.md`);
        const source = loadChallenge(parseChallenge(readFileSync(file, 'utf8'), rel(file)), dir, parsed.stage, rel);
        if (challenges.has(source.challenge.id) || sources.some((s) => s.challenge.id === source.challenge.id)) {
          throw new NotebookParseError(rel(file), 2, `challenge id "${source.challenge.id}" is used twice`);
        }
        sources.push(source);
      }
      for (const s of sources) challenges.set(s.challenge.id, s);
      stages.push({
        stage: parsed.stage,
        title: parsed.title,
        slug,
        introHtml: renderMarkdown(parsed.intro),
        challenges: sources.map((s) => s.challenge),
      });
    } catch (err) {
      if (!(err instanceof NotebookParseError)) throw err;
      errors.push({ file: err.file, line: err.line, reason: err.reason });
    }
  }
  return { stages, challenges, curriculum, errors };
}

function loadChallenge(parsed: ChallengeFile, dir: string, stage: number, rel: (p: string) => string): ChallengeSource {
  const file = rel(join(dir, 'challenge.md'));
  const need = (name: string, line: number, why: string) => {
    const p = join(dir, name);
    if (!existsSync(p)) throw new NotebookParseError(file, line, `${why}: ${rel(p)} is missing`);
    return p;
  };
  const goCell = parsed.cells.find((c) => c.kind === 'go');
  const checkCell = parsed.cells.find((c) => c.kind === 'check');
  const goLine = goCell?.line ?? 1;
  const starter = need('starter.go', goLine, 'a challenge needs starter code');
  const solution = need('solution.go', goLine, 'a challenge needs a reference solution');
  const verifier = checkCell ? need('verify.ts', checkCell.line, 'a check cell needs a verifier') : null;
  const wrongDir = join(dir, 'wrong');
  const wrong: WrongSolution[] = existsSync(wrongDir)
    ? readdirSync(wrongDir)
        .filter((f) => f.endsWith('.go'))
        .sort()
        .map((f) => {
          const path = join(wrongDir, f);
          const m = EXPECT_FAIL.exec(readFileSync(path, 'utf8'));
          if (!m) throw new NotebookParseError(rel(path), 1, 'a wrong solution must say which assertion it fails: "// expect-fail: <assertion-id>"');
          return { name: f.replace(/\.go$/, ''), path, expectFail: m[1]! };
        })
    : [];
  const cells: Cell[] = parsed.cells.map((c): Cell => {
    switch (c.kind) {
      case 'text':
        return { kind: 'text', html: renderMarkdown(c.body) };
      case 'check':
        return { kind: 'check', html: renderMarkdown(c.body) };
      case 'diagram': {
        const root = diagramRoot(c);
        return { kind: 'diagram', diagram: diagramKind(c), ...(root ? { root } : {}) };
      }
      case 'go':
        return { kind: 'go' };
      case 'terminal':
        return { kind: 'terminal' };
    }
  });
  const challenge: Challenge = { id: parsed.id, number: parsed.number, title: parsed.title, stage, binary: parsed.binary, usage: parsed.usage, requires: parsed.requires, cells };
  return { challenge, dir, starter, solution, verifier, wrong };
}
