// Everything a verifier (notebooks/*/*/verify.ts) may import.
export { defineCheck } from './define.ts';
export type { CheckContext } from './context.ts';
export { nsInode, hostNs, mountinfo, procStatus, children, descendants, nsPid, comm, cmdline } from '../proc.ts';
export type { MountEntry } from '../proc.ts';
export type { RunResult, Started } from '../exec.ts';
export { ipJson } from '../net.ts';
