// The curriculum (notebooks/curriculum.md, a copy of the seed): stages 9–15 and their
// challenges, so the home page can list stages that have no notebook yet.
import type { CurriculumStage } from '../../common/notebook.ts';

const STAGE = /^## Stage (\d+): (.+?)(?: \(\d+ challenges?\))?\s*$/;
const CHALLENGE = /^### (\d+\.\d+) (.+?)\s*$/;
const BINARY = /^\*\*Binary\*\*: `\.\/([a-z0-9-]+)/;

export function parseCurriculum(text: string): CurriculumStage[] {
  const stages: CurriculumStage[] = [];
  let stage: CurriculumStage | null = null;
  for (const line of text.split('\n')) {
    const s = STAGE.exec(line);
    if (s) {
      stage = { stage: Number(s[1]), title: s[2]!, challenges: [] };
      stages.push(stage);
      continue;
    }
    if (line.startsWith('## ')) stage = null; // "## Key Learning Outcomes" and the like
    const c = CHALLENGE.exec(line);
    if (c && stage) stage.challenges.push({ number: c[1]!, title: c[2]!, binary: '' });
    const b = BINARY.exec(line);
    const last = stage?.challenges[stage.challenges.length - 1];
    if (b && last && !last.binary) last.binary = b[1]!;
  }
  return stages;
}
