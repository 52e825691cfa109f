// The Go build kernel: `go build -o <binary>` in a challenge's workspace, with compiler
// messages turned into editor diagnostics. Offline: no module proxy, the local toolchain only.
import { join } from 'node:path';
import type { BuildResult, Diagnostic } from '../../common/api.ts';
import { run } from '../exec.ts';
import { cacheDir } from '../rootfs.ts';

const GO_MESSAGE = /^(?:\.\/)?([^\s:]+\.go):(\d+)(?::(\d+))?: (.*)$/;

export function parseGoErrors(output: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const line of output.split('\n')) {
    const m = GO_MESSAGE.exec(line.trim());
    if (m) out.push({ file: m[1]!, line: Number(m[2]), column: Number(m[3] ?? 1), message: m[4]! });
  }
  return out;
}

export function goEnv(): NodeJS.ProcessEnv {
  const cache = cacheDir();
  return {
    PATH: `/usr/lib/go/bin:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: process.env.HOME ?? '/root',
    GOCACHE: join(cache, 'go-build'),
    GOPATH: join(cache, 'gopath'),
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    GOFLAGS: '-buildvcs=false',
    CGO_ENABLED: '0', // static: the binary also runs inside the busybox rootfs
  };
}

export const GO_MOD = (module: string) => `module ${module}\n\ngo 1.19\n`;

export async function goBuild(srcDir: string, output: string): Promise<BuildResult> {
  const r = await run('go', ['build', '-o', output, '.'], { cwd: srcDir, env: goEnv(), timeoutMs: 180_000 });
  const text = (r.stdout + r.stderr).trim();
  return {
    ok: r.code === 0,
    binary: output,
    durationMs: Math.round(r.durationMs),
    output: r.timedOut ? `${text}\ngo build timed out` : text,
    diagnostics: parseGoErrors(text),
  };
}
