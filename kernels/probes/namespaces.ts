// The probe behind the namespace diagram: every process's namespaces, grouped by inode.
import { readdirSync, statSync } from 'node:fs';
import { NS_TYPES, type NamespaceGroup, type NamespaceSnapshot, type NsType } from '../../common/diagram.ts';
import { allPids, comm, hostNs, mountinfo, nsInode } from '../proc.ts';

const MAX_LISTED = 12; // processes listed per namespace; processCount keeps the real number

export function probeNamespaces(focus: number[] = []): NamespaceSnapshot {
  const pids = allPids();
  const focusSet = new Set(focus);
  const types = {} as Record<NsType, NamespaceGroup[]>;
  const netNames = namedNetns();
  for (const type of NS_TYPES) {
    const host = hostNs(type);
    const groups = new Map<number, NamespaceGroup>();
    for (const pid of pids) {
      const inode = nsInode(pid, type);
      if (inode === null) continue;
      let g = groups.get(inode);
      if (!g) {
        g = { inode, host: inode === host, processCount: 0, processes: [], names: [] };
        groups.set(inode, g);
      }
      g.processCount++;
      // Host groups hold hundreds of processes: list only those we are asked about.
      if ((!g.host || focusSet.has(pid)) && g.processes.length < MAX_LISTED) g.processes.push({ pid, comm: comm(pid) });
    }
    if (type === 'net') {
      for (const [name, inode] of netNames) {
        let g = groups.get(inode);
        if (!g) {
          g = { inode, host: inode === host, processCount: 0, processes: [], names: [] };
          groups.set(inode, g);
        }
        g.names.push(name);
      }
    }
    types[type] = [...groups.values()].sort((a, b) => Number(b.host) - Number(a.host) || a.inode - b.inode);
  }
  return { takenAt: new Date().toISOString(), focus, types };
}

/** Named network namespaces: nsfs bind mounts under /var/run/netns (or /run/netns). */
export function namedNetns(): Map<string, number> {
  const out = new Map<string, number>();
  const mounted = new Set(mountinfo('self').filter((m) => m.fsType === 'nsfs').map((m) => m.mountPoint));
  for (const dir of ['/run/netns']) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const path = `${dir}/${name}`;
      if (!mounted.has(path) && !mounted.has(`/var${path}`)) continue;
      try {
        out.set(name, statSync(path).ino);
      } catch {
        /* removed meanwhile */
      }
    }
  }
  return out;
}
