// What this kernel and system offer, as `lux doctor` and the doctor page report it, and what
// a challenge can declare it requires (front matter `requires:`).

export const FEATURE_IDS = [
  'namespaces',
  'user-namespaces',
  'cgroup2',
  'cgroup2-cpu',
  'cgroup2-memory',
  'cgroup2-io',
  'cgroup2-pids',
  'cgroup2-freeze',
  'systemd',
  'apparmor',
  'criu',
  'overlayfs',
  'seccomp',
  'iptables',
] as const;
export type FeatureId = (typeof FEATURE_IDS)[number];

export interface Feature {
  id: FeatureId;
  title: string;
  available: boolean;
  /** What was found, or exactly why it is missing. */
  detail: string;
}

export interface DoctorReport {
  takenAt: string;
  kernel: string;
  features: Feature[];
  /** For each curriculum stage, the features its checks need and whether all are there. */
  stages: { stage: number; title: string; needs: FeatureId[]; missing: FeatureId[] }[];
}

/** What each stage's checks need (stages 9–15 of notebooks/curriculum.md). */
export const STAGE_NEEDS: Record<number, FeatureId[]> = {
  9: ['namespaces', 'user-namespaces'],
  10: ['cgroup2', 'cgroup2-cpu', 'cgroup2-memory', 'cgroup2-io', 'cgroup2-pids', 'cgroup2-freeze', 'systemd'],
  11: ['namespaces', 'iptables'],
  12: ['namespaces', 'overlayfs', 'seccomp', 'apparmor', 'criu'],
  13: ['namespaces', 'cgroup2'],
  14: ['namespaces', 'cgroup2'],
  15: ['namespaces', 'user-namespaces', 'overlayfs', 'cgroup2'],
};
