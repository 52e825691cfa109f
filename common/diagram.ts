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

// The topology diagram's data (Stage 11): every network namespace the lab can see — the
// host's, the named ones (/run/netns), those of running processes — with their interfaces,
// addresses and routes, the veth pairs between them, and the NAT rules of each.

/** One end of a veth pair: an interface of a namespace of the snapshot. */
export interface TopologyEnd {
  namespaceId: string;
  ifindex: number;
}

export interface TopologyInterface {
  ifindex: number;
  name: string;
  /** veth, bridge, loopback, dummy, tun, vxlan, … (the link's kind); 'device' for real hardware. */
  kind: string;
  /** Operational state as the kernel reports it: UP, DOWN, UNKNOWN (lo when up), LOWERLAYERDOWN… */
  state: string;
  /** Administratively up (IFF_UP: `ip link set … up`). */
  up: boolean;
  mac: string;
  /** CIDR, IPv4 first; IPv6 link-local (fe80::/64) addresses are left out. */
  addresses: string[];
  /** The bridge this interface is a port of (a name in the same namespace). */
  master?: string;
  /** veth: the other end, when it is in a namespace of this snapshot. */
  peer?: TopologyEnd;
}

export interface TopologyRoute {
  dst: string; // 'default' or a CIDR
  gateway?: string;
  dev: string;
}

export interface TopologyNamespace {
  /** Stable across snapshots: `net:<inode>`. */
  id: string;
  /** The lab's own network namespace (the host's). */
  host: boolean;
  /** Its file under /run/netns, if it has one. */
  name: string | null;
  inode: number;
  /** A few processes in it (none listed for the host's); processCount is the real number. */
  pids: number[];
  processCount: number;
  interfaces: TopologyInterface[];
  /** The main routing table. */
  routes: TopologyRoute[];
}

/** A veth pair, both ends resolved (a and b may be in the same namespace). */
export interface TopologyLink {
  a: TopologyEnd;
  b: TopologyEnd;
}

export const NAT_KINDS = ['MASQUERADE', 'SNAT', 'DNAT', 'REDIRECT'] as const;
export type NatKind = (typeof NAT_KINDS)[number];

export interface NatRule {
  namespaceId: string;
  chain: string; // POSTROUTING, PREROUTING, OUTPUT, or a chain of the rule set's own
  kind: NatKind;
  /** The iptables-save line, e.g. `-A POSTROUTING -s 10.200.20.0/24 -o eth0 -j MASQUERADE`. */
  text: string;
  /** One line for a label: `MASQUERADE 10.200.20.0/24 → eth0`, `DNAT host:18021 → 10.200.21.2:8080`. */
  summary: string;
  /** What the rule matches and where it sends (negated values start with "!"). */
  source?: string;
  destination?: string;
  inInterface?: string;
  outInterface?: string;
  protocol?: string;
  dport?: string;
  /** --to-destination / --to-source / --to-ports. */
  to?: string;
}

export interface TopologySnapshot {
  takenAt: string;
  /** Host first, then the named namespaces (by name), then those of processes (by pid). */
  namespaces: TopologyNamespace[];
  links: TopologyLink[];
  nat: NatRule[];
  /** Namespaces of processes beyond the probe's cap, not shown. */
  omitted: number;
}

// The cgroup tree diagram's data (Stage 10): the cgroup2 hierarchy under one root, read from
// the interface files — nesting, the controllers of each level, the processes in each cgroup,
// and the usage against the limit of every controller that is on there. A gauge is present
// only where its files exist (its controller is enabled for that cgroup by the parent).

export interface CgroupProcess {
  pid: number;
  comm: string; // '' when the process exited while being read
}

/** memory.* (the memory controller). Bytes. */
export interface CgroupMemory {
  current: number;
  /** memory.max; null is "max" (no limit). */
  max: number | null;
  /** memory.peak (Linux 5.19+). */
  peak?: number;
  /** memory.events oom_kill: processes the OOM killer ended in this subtree. */
  oomKills?: number;
}

/** cpu.stat, and cpu.max where the cpu controller is on. */
export interface CgroupCpu {
  /** cpu.stat usage_usec (cgroup core: there even without the cpu controller). */
  usageUsec: number;
  /** The rest needs the cpu controller: periods in which the quota ran out, and for how long. */
  nrThrottled?: number;
  throttledUsec?: number;
  /** cpu.max: quota per period; null quota is "max" (no limit). */
  quotaUsec?: number | null;
  periodUsec?: number;
}

/** pids.* (the pids controller). */
export interface CgroupPids {
  current: number;
  /** pids.max; null is "max". */
  max: number | null;
}

export interface CgroupNode {
  /** Relative to the mount, as /proc/<pid>/cgroup writes it: '/' is the mount itself. */
  path: string;
  /** The parent's path; null for the snapshot's root (whatever its place in the mount). */
  parent: string | null;
  /** Levels below the snapshot's root. */
  depth: number;
  /** cgroup.controllers: what this cgroup may use (its parent enabled them). */
  controllers: string[];
  /** cgroup.subtree_control: what it enables for its children. */
  subtreeControl: string[];
  /** cgroup.type when not the usual 'domain' (threaded, domain threaded, domain invalid). */
  type?: string;
  /** Processes in this cgroup itself (cgroup.procs); procs lists the first few. */
  nrProcs: number;
  procs: CgroupProcess[];
  /** cgroup.events populated: a process in it or below. */
  populated: boolean;
  /** cgroup.events frozen: frozen now (itself or by an ancestor). */
  frozen: boolean;
  /** cgroup.freeze is 1 here (frozen on its own account, not only by an ancestor). */
  freeze: boolean;
  /** Every cgroup below it (cgroup.stat nr_descendants), shown or not. */
  descendants: number;
  /** Direct children left out of the snapshot (its limits). */
  omittedChildren?: number;
  memory?: CgroupMemory;
  cpu?: CgroupCpu;
  pids?: CgroupPids;
  /** io.max lines ("8:0 rbps=1048576 wbps=max riops=max wiops=max"); present with the io controller. */
  ioMax?: string[];
}

export interface CgroupSnapshot {
  takenAt: string;
  /** The cgroup2 mount point (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a v1/v2 hybrid). */
  mount: string;
  /** The path the picture starts from, relative to the mount ('/' for all of it). */
  root: string;
  /** Depth-first, the root first, children by name (numbers in names compared as numbers): a node's parent always comes before it. */
  nodes: CgroupNode[];
  /** Cgroups under the root not shown, cut by the probe's limits. */
  truncated: number;
  /** Paths to highlight (e.g. what a challenge created), relative to the mount. */
  focus: string[];
}
