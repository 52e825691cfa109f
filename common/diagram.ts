// The namespace diagram's data: which processes share which namespace, for each type.

export const NS_TYPES = ['mnt', 'uts', 'ipc', 'pid', 'net', 'user', 'cgroup'] as const;
export type NsType = (typeof NS_TYPES)[number];

export interface NsProcess {
  pid: number;
  comm: string;
}

export interface NamespaceGroup {
  inode: number;
  host: boolean; // the lab's own (the host's) namespace
  processCount: number;
  processes: NsProcess[]; // capped; processCount is the true count
  /** Files under /var/run/netns bind-mounted to this namespace (net only). */
  names: string[];
}

export interface NamespaceSnapshot {
  takenAt: string;
  /** Processes the picture is about (e.g. the learner's binary); empty for "everything". */
  focus: number[];
  types: Record<NsType, NamespaceGroup[]>;
}
