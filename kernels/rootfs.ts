// A tiny root filesystem for the container challenges, built offline from Debian's
// busybox-static: one static binary plus a symlink per applet. Built once into the cache,
// copied fresh for every check (programs mount /proc in it and may write to it).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

export const BUSYBOX = '/bin/busybox';

export function cacheDir(): string {
  return process.env.LUX_CACHE_DIR ?? '/var/cache/luxlab';
}

/** The cached rootfs, built on first use. */
export function ensureRootfs(): string {
  const dir = join(cacheDir(), 'rootfs-busybox');
  if (existsSync(join(dir, 'bin', 'sh'))) return dir;
  if (!existsSync(BUSYBOX)) {
    throw new Error(`${BUSYBOX} not found: install Debian's busybox-static (scripts/setup does)`);
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  buildRootfs(tmp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

export function buildRootfs(dir: string): void {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'root', 'mnt']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const path of applets) {
    if (path === 'bin/busybox') continue;
    const depth = path.split('/').length - 1;
    try {
      symlinkSync(`${'../'.repeat(depth)}bin/busybox`, join(dir, path));
    } catch {
      /* duplicate applet path */
    }
  }
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(dir, 'etc', 'hostname'), 'container\n');
  writeFileSync(join(dir, 'etc', 'luxlab-rootfs'), 'This is the luxlab busybox rootfs.\n');
}

/** A fresh copy of the rootfs at dest. */
export function copyRootfs(dest: string): string {
  execFileSync('cp', ['-a', ensureRootfs(), dest]);
  return dest;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(ensureRootfs());
}
