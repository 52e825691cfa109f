// Everything a verifier (notebooks/*/*/verify.ts) may import.
export { defineCheck } from './define.ts';
export type { CheckContext } from './context.ts';
export { nsInode, hostNs, mountinfo, mountsAt, topAt, procStatus, allPids, children, descendants, findInTree, nsPid, namespaceMembers, comm, cmdline } from '../proc.ts';
export type { MountEntry } from '../proc.ts';
export type { RunResult, Started } from '../exec.ts';
export { ipJson } from '../net.ts';
export { mustStartSleep, procListing, showPids, sameDir, rootLink, firstLines, watchHostMounts } from './container.ts';
export { NETNS_DIR, restoreNetnsDir, deleteNetns } from './netns.ts';
export { testNetns, inNetns, ipIn, ping, identityServer, tcpRequest, packetCounters, iptablesSave } from './netlab.ts';
export { netLinks, netLink, ipv4Addresses, nsidName, vethPeer, runInNetns } from './netlab.ts';
export type { NetLink } from './netlab.ts';
export { parseIptablesRule, ruleOption, chainRules, chainPolicy, readSysctl, writeSysctl } from './netlab.ts';
export type { IptablesRule, IptablesOption } from './netlab.ts';
export { icmpCounters } from './netlab.ts';
export { cgroupMount, cgroupOf, shortCgroup, readCgroupFile, keyedFile, cgroupPids, verifierCgroup, enableControllers, waitForMove, majorMinor, loopDevice, hasController } from './cgroups.ts';
export type { VerifierCgroup } from './cgroups.ts';
export { procCpu } from './cgroups.ts';
export { listCgroups, killAndRemoveCgroup } from './cgroup-guard.ts';
