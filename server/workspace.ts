// The learner's files on disk: one folder per challenge (main.go, go.mod, bin/), and a state
// folder beside them (check results, the access token). Survives restarts; nothing is lost.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import type { CheckResult } from '../common/check.ts';
import type { CodeView } from '../common/api.ts';
import { GO_MOD } from '../kernels/go/build.ts';

export function defaultWorkspaceRoot(): string {
  return process.env.LUX_WORKSPACE ?? '/var/lib/luxlab';
}

/** Write via a temporary file and rename: a crash mid-write never leaves half a main.go. */
export function writeAtomic(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export class Workspace {
  readonly root: string;

  constructor(root = defaultWorkspaceRoot()) {
    this.root = resolve(root);
  }

  /** A path inside the workspace; anything that would resolve outside is refused. */
  inside(...parts: string[]): string {
    const p = resolve(this.root, ...parts);
    if (p !== this.root && !p.startsWith(this.root + sep)) throw new Error(`path outside the workspace: ${parts.join('/')}`);
    return p;
  }

  challengeDir(id: string): string {
    return this.inside('challenges', id);
  }

  binDir(id: string): string {
    return join(this.challengeDir(id), 'bin');
  }

  mainGo(id: string): string {
    return join(this.challengeDir(id), 'main.go');
  }

  /** The learner's main.go, created from the starter on first use. */
  code(id: string, starter: string): CodeView {
    const path = this.mainGo(id);
    if (!existsSync(path)) this.ensureModule(id, starter);
    const savedMarker = join(this.challengeDir(id), '.edited');
    return { code: readFileSync(path, 'utf8'), savedAt: existsSync(savedMarker) ? statSync(path).mtime.toISOString() : null };
  }

  save(id: string, code: string): CodeView {
    this.ensureModule(id, code);
    writeAtomic(this.mainGo(id), code);
    writeAtomic(join(this.challengeDir(id), '.edited'), '');
    return { code, savedAt: statSync(this.mainGo(id)).mtime.toISOString() };
  }

  reset(id: string, starter: string): CodeView {
    writeAtomic(this.mainGo(id), starter);
    writeAtomic(join(this.challengeDir(id), '.edited'), '');
    return { code: starter, savedAt: new Date().toISOString() };
  }

  private ensureModule(id: string, initialCode: string): void {
    const dir = this.challengeDir(id);
    mkdirSync(join(dir, 'bin'), { recursive: true });
    if (!existsSync(join(dir, 'go.mod'))) writeAtomic(join(dir, 'go.mod'), GO_MOD(`luxlab/${id}`));
    if (!existsSync(this.mainGo(id))) writeAtomic(this.mainGo(id), initialCode);
  }

  /** Is the built binary older than main.go (or missing)? */
  needsBuild(id: string, binary: string): boolean {
    const bin = join(this.binDir(id), binary);
    if (!existsSync(bin)) return true;
    return statSync(bin).mtimeMs < statSync(this.mainGo(id)).mtimeMs;
  }

  resultPath(id: string): string {
    return this.inside('state', 'results', `${id}.json`);
  }

  saveResult(result: CheckResult): void {
    writeAtomic(this.resultPath(result.challengeId), JSON.stringify(result, null, 2));
  }

  lastResult(id: string): CheckResult | null {
    try {
      return JSON.parse(readFileSync(this.resultPath(id), 'utf8')) as CheckResult;
    } catch {
      return null;
    }
  }
}
