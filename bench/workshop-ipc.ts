// What bench/workshop.ts and its two child processes (workshop-server.ts, workshop-viewers.ts)
// say to each other over IPC. No side effects: the parent imports it, the children too.

export const BENCH_TOKEN = 'bench-workshop-token-0123456789';

export type ServerRequest = { id: number; type: 'memory' } | { id: number; type: 'flow' } | { id: number; type: 'stop' };

export type ServerReply =
  | { type: 'ready'; url: string; participantToken: string }
  | { id: number; type: 'memory'; gc: boolean; usage: NodeJS.MemoryUsage; cpu: NodeJS.CpuUsage }
  | { id: number; type: 'flow'; clients: { unacked: number; missed: boolean; queued: boolean }[]; socketBuffered: number[] }
  | { id: number; type: 'stopped' };

export type ViewersRequest =
  | { id: number; type: 'join'; count: number }
  | { id: number; type: 'stall' }
  | { id: number; type: 'sample' }
  | { id: number; type: 'stop' };

export type ViewersReply =
  | { id: number; type: 'joined'; viewers: number }
  | { id: number; type: 'stalled' }
  | { id: number; type: 'sample'; at: number; bytes: number[]; resets: number[]; stalledBytes: number | null }
  | { id: number; type: 'stopped' }
  | { id: number; type: 'error'; message: string };

