import { readFileSync } from 'node:fs';
import { defineCheck, findInTree, hostNs, nsInode, type CheckContext } from '../../../kernels/check/index.ts';

type Kind = 'msg' | 'sem';
interface IpcObject {
  key: string; // as ipcs shows it: 0x1a2b3c4d
  id: string;
}

/** Rows of /proc/sysvipc/<kind>: the objects of the IPC namespace of whoever reads the file. */
function parseSysvipc(text: string): IpcObject[] {
  return text
    .trim()
    .split('\n')
    .slice(1) // header
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 1)
    .map(([key, id]) => ({ key: `0x${(Number(key) >>> 0).toString(16).padStart(8, '0')}`, id: id! }));
}

const hostObjects = (kind: Kind) => parseSysvipc(readFileSync(`/proc/sysvipc/${kind}`, 'utf8'));

/** The same file read by a process that joined the IPC namespace of pid. */
async function objectsIn(t: CheckContext, pid: number, kind: Kind): Promise<IpcObject[]> {
  return parseSysvipc((await t.sh('nsenter', ['-t', String(pid), '--ipc', 'cat', `/proc/sysvipc/${kind}`])).stdout);
}

const show = (objs: IpcObject[]) => (objs.length ? objs.map((o) => `key ${o.key} id ${o.id}`).join(', ') : 'none');
const seen = (inside: IpcObject[], host: IpcObject, what: string) =>
  `${inside.some((o) => o.key === host.key) ? `key ${host.key} (the ${what}) is listed` : 'not listed'}; inside: ${show(inside)}`;

/** ipcmk on the host, removed after the check. */
async function make(t: CheckContext, kind: Kind): Promise<IpcObject> {
  const r = await t.sh('ipcmk', kind === 'msg' ? ['-Q'] : ['-S', '1']);
  const id = /id: (\d+)/.exec(r.stdout)?.[1];
  if (id === undefined) throw new Error(`unexpected ipcmk output: ${r.stdout.trim()}`);
  t.defer(() => t.sh('ipcrm', [kind === 'msg' ? '-q' : '-s', id], { allowFail: true }));
  const obj = hostObjects(kind).find((o) => o.id === id);
  if (!obj) throw new Error(`ipcmk made ${kind} id ${id}, but /proc/sysvipc/${kind} does not list it`);
  return obj;
}

export default defineCheck(async (t) => {
  const hostQueue = await make(t, 'msg');
  const hostSem = await make(t, 'sem');
  const queuesBefore = new Set(hostObjects('msg').map((o) => o.key));

  const running = t.start(['sh', '-c', 'ipcmk -Q >/dev/null && exec sleep 30']);
  const sleeper = await t.waitFor(() => findInTree(running.pid, 'sleep'), 3000, running);
  t.must({
    id: 'command-started',
    title: "`ipcns sh -c 'ipcmk -Q && exec sleep 30'` runs the command",
    pass: sleeper !== undefined,
    expected: 'a sleep process started by ipcns, after ipcmk made a queue',
    observed: sleeper ? `sleep is PID ${sleeper}` : `no sleep process; the program printed: ${(running.stderr() || running.stdout()).trim() || '(nothing)'}`,
    hint: 'Start the command with os/exec and wait for it.',
  });
  t.snapshot([running.pid, sleeper!]);

  const inside = nsInode(sleeper!, 'ipc');
  const host = hostNs('ipc');
  // Not a must: without a new namespace the assertions below show what that means.
  t.assert({
    id: 'ipc-ns-new',
    title: 'The command is in a new IPC namespace',
    pass: inside !== null && inside !== host,
    expected: `an ipc inode other than the host's (${host})`,
    observed: `ipc:[${inside}]`,
    hint: 'Start the command with Cloneflags: syscall.CLONE_NEWIPC (not CLONE_NEWUTS, not CLONE_NEWNS).',
  });

  const queuesInside = await objectsIn(t, sleeper!, 'msg');
  const semsInside = await objectsIn(t, sleeper!, 'sem');
  t.assert({
    id: 'host-queue-hidden',
    title: "The host's message queue is not visible inside",
    pass: !queuesInside.some((o) => o.key === hostQueue.key),
    expected: `no queue with key ${hostQueue.key} in /proc/sysvipc/msg inside`,
    observed: seen(queuesInside, hostQueue, "host's queue"),
    hint: 'Message queues belong to the IPC namespace: the command needs a new one (CLONE_NEWIPC).',
  });
  t.assert({
    id: 'host-sem-hidden',
    title: "The host's semaphore set is not visible inside",
    pass: !semsInside.some((o) => o.key === hostSem.key),
    expected: `no semaphore set with key ${hostSem.key} in /proc/sysvipc/sem inside`,
    observed: seen(semsInside, hostSem, "host's set"),
    hint: 'Semaphore sets belong to the IPC namespace: the command needs a new one (CLONE_NEWIPC).',
  });

  // The command's queue: the one inside that the host did not have before it ran.
  const made = queuesInside.filter((o) => !queuesBefore.has(o.key));
  const onHost = hostObjects('msg').filter((o) => made.some((m) => m.key === o.key));
  for (const o of onHost) t.defer(() => t.sh('ipcrm', ['-q', o.id], { allowFail: true }));
  t.must({
    id: 'queue-inside',
    title: 'The queue made by the command is there inside',
    pass: made.length > 0,
    expected: 'a new queue in /proc/sysvipc/msg inside (from ipcmk -Q)',
    observed: `queues inside: ${show(queuesInside)}`,
    hint: 'Run the command inside the namespace you made, not another process.',
  });
  t.assert({
    id: 'queue-not-on-host',
    title: 'The queue made inside is not visible on the host',
    pass: onHost.length === 0,
    expected: `no queue with key ${made[0]!.key} in the host's /proc/sysvipc/msg`,
    observed: onHost.length ? `on the host: ${show(onHost)}: the command made it in the host's namespace` : `queues on the host: ${show(hostObjects('msg'))}`,
    hint: 'The command ran in the host IPC namespace: clone it with CLONE_NEWIPC.',
  });
  await running.kill();

  const r = await t.run(['sh', '-c', 'exit 7']);
  t.equal('exit-code', "The command's exit code is passed back", r.code, 7, "Exit with the child's exit code (exec.ExitError.ExitCode()).");
});
