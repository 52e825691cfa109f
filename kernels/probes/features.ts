// Probes what the running kernel and system offer (behind `lux doctor` and the doctor page),
// and says exactly why a feature is missing.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { FEATURE_IDS, type Feature, type FeatureId } from '../../common/features.ts';
import { NS_TYPES } from '../../common/diagram.ts';
import { cgroup2Mount, ProcessJail } from '../jail.ts';

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
};

function tool(file: string, args: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 }).trim() };
  } catch (err) {
    const e = err as { code?: string; stderr?: string; stdout?: string };
    if (e.code === 'ENOENT') return { ok: false, out: `${file} is not installed` };
    return { ok: false, out: `${e.stderr ?? ''}${e.stdout ?? ''}`.trim().split('\n').slice(-3).join(' ') };
  }
}

/** The cgroup v1 hierarchy a controller is bound to, if any ("/sys/fs/cgroup/memory"). */
function v1Hierarchy(controller: string): string | null {
  const v1Name = controller === 'io' ? 'blkio' : controller;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right?.startsWith('cgroup ')) continue;
    const superOptions = right.split(' ')[2]?.split(',') ?? [];
    if (superOptions.includes(v1Name)) return left.split(' ')[4] ?? null;
  }
  return null;
}

function cgroupController(controller: 'cpu' | 'memory' | 'io' | 'pids', mount: string | null): Omit<Feature, 'id' | 'title'> {
  if (!mount) return { available: false, detail: 'no cgroup2 mount' };
  const enabled = (read(`${mount}/cgroup.controllers`) ?? '').split(/\s+/);
  if (enabled.includes(controller)) return { available: true, detail: `in ${mount}/cgroup.controllers` };
  const v1 = v1Hierarchy(controller);
  return {
    available: false,
    detail: v1
      ? `cgroup v2 ${controller} controller not available: the ${controller} controller is bound to a cgroup v1 hierarchy (${v1})`
      : `cgroup v2 ${controller} controller not available: not in ${mount}/cgroup.controllers`,
  };
}

/** cgroup.freeze exists only in non-root cgroups: look in a throwaway one. */
function cgroupFreeze(mount: string | null): Omit<Feature, 'id' | 'title'> {
  if (!mount) return { available: false, detail: 'no cgroup2 mount' };
  const jail = ProcessJail.create('probe');
  const ok = jail.path !== null && existsSync(`${jail.path}/cgroup.freeze`);
  void jail.destroy();
  return ok ? { available: true, detail: 'cgroup.freeze in child cgroups (a core cgroup2 file)' } : { available: false, detail: 'no cgroup.freeze (needs Linux 5.2 and a writable cgroup2 mount)' };
}

function detect(id: FeatureId, mount: string | null): Omit<Feature, 'id' | 'title'> {
  switch (id) {
    case 'namespaces': {
      const missing = NS_TYPES.filter((t) => !existsSync(`/proc/self/ns/${t}`));
      return missing.length ? { available: false, detail: `missing: ${missing.join(', ')}` } : { available: true, detail: NS_TYPES.join(', ') };
    }
    case 'user-namespaces': {
      const max = Number(read('/proc/sys/user/max_user_namespaces') ?? 0);
      return max > 0 ? { available: true, detail: `max_user_namespaces = ${max}` } : { available: false, detail: 'user.max_user_namespaces is 0' };
    }
    case 'cgroup2':
      if (!mount) return { available: false, detail: 'no cgroup2 mount in /proc/self/mountinfo' };
      return { available: true, detail: mount === '/sys/fs/cgroup' ? 'unified hierarchy at /sys/fs/cgroup' : `hybrid: cgroup2 at ${mount}, controllers on cgroup v1` };
    case 'cgroup2-cpu':
      return cgroupController('cpu', mount);
    case 'cgroup2-memory':
      return cgroupController('memory', mount);
    case 'cgroup2-io':
      return cgroupController('io', mount);
    case 'cgroup2-pids':
      return cgroupController('pids', mount);
    case 'cgroup2-freeze':
      return cgroupFreeze(mount);
    case 'systemd':
      // sd_booted(3): systemd is PID 1 exactly when /run/systemd/system exists.
      return existsSync('/run/systemd/system')
        ? { available: true, detail: 'systemd is PID 1 (/run/systemd/system)' }
        : { available: false, detail: `systemd is not PID 1 (PID 1 is ${read('/proc/1/comm') ?? 'unknown'}): no systemd-run, no slices` };
    case 'apparmor': {
      const lsm = read('/sys/kernel/security/lsm') ?? '';
      if (read('/sys/module/apparmor/parameters/enabled') === 'Y' && lsm.split(',').includes('apparmor')) return { available: true, detail: `LSMs: ${lsm}` };
      return { available: false, detail: `AppArmor is not enabled in this kernel${lsm ? ` (LSMs: ${lsm})` : ''}` };
    }
    case 'criu': {
      const r = tool('criu', ['check']);
      return r.ok ? { available: true, detail: r.out || 'criu check: Looks good.' } : { available: false, detail: `criu check fails: ${r.out}` };
    }
    case 'overlayfs':
      return /\toverlay$/m.test(read('/proc/filesystems') ?? '')
        ? { available: true, detail: 'overlay in /proc/filesystems' }
        : { available: false, detail: 'overlay is not in /proc/filesystems (modprobe overlay?)' };
    case 'seccomp': {
      const actions = read('/proc/sys/kernel/seccomp/actions_avail');
      return actions ? { available: true, detail: `actions: ${actions}` } : { available: false, detail: 'no /proc/sys/kernel/seccomp (kernel without CONFIG_SECCOMP_FILTER)' };
    }
    case 'iptables': {
      const r = tool('iptables', ['--version']);
      return r.ok ? { available: true, detail: r.out } : { available: false, detail: r.out };
    }
  }
}

const TITLES: Record<FeatureId, string> = {
  namespaces: 'Namespaces (all 7 types)',
  'user-namespaces': 'User namespaces',
  cgroup2: 'cgroup v2',
  'cgroup2-cpu': 'cgroup v2 cpu controller',
  'cgroup2-memory': 'cgroup v2 memory controller',
  'cgroup2-io': 'cgroup v2 io controller',
  'cgroup2-pids': 'cgroup v2 pids controller',
  'cgroup2-freeze': 'cgroup v2 freezer (cgroup.freeze)',
  systemd: 'systemd as PID 1',
  apparmor: 'AppArmor',
  criu: 'CRIU',
  overlayfs: 'overlayfs',
  seccomp: 'seccomp filters',
  iptables: 'iptables (and its backend)',
};

/** Probe the given features (all by default); mountinfo is read once. */
export function probeFeatures(ids: readonly FeatureId[] = FEATURE_IDS): Feature[] {
  const mount = cgroup2Mount();
  return ids.map((id) => ({ id, title: TITLES[id], ...detect(id, mount) }));
}

export function kernelRelease(): string {
  return release();
}
