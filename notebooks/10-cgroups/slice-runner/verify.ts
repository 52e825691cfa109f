import { allPids, cgroupMount, cgroupOf, cmdline, defineCheck, keyedFile, readCgroupFile, shortCgroup, type CheckContext } from '../../../kernels/check/index.ts';

const LIMIT = 64 * 2 ** 20; // the slice's MemoryMax: 64 MiB
const OVER = '200M'; // an allocation above it…
const UNDER = '16M'; // …and one well below it

const said = (r: { stderr: string; stdout: string }) => (r.stderr || r.stdout).trim() || '(nothing)';

/** systemctl show's properties of one unit ("LoadState=loaded" lines) as a record. */
async function unitProperties(t: CheckContext, unit: string, props: string[]): Promise<Record<string, string>> {
  const r = await t.sh('systemctl', ['show', unit, ...props.map((p) => `--property=${p}`)], { allowFail: true });
  return Object.fromEntries(r.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** The scopes and services systemd has loaded in the slice: running, or failed and not yet collected. */
async function unitsIn(t: CheckContext, slice: string): Promise<string[]> {
  const list = await t.sh('systemctl', ['list-units', '--all', '--plain', '--no-legend', '--type=scope,service'], { allowFail: true });
  const names = list.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => /\.(scope|service)$/.test(n));
  if (!names.length) return [];
  // One `systemctl show` for them all: blocks of Id=/Slice= lines, a blank line between units.
  const show = await t.sh('systemctl', ['show', '--property=Id', '--property=Slice', ...names], { allowFail: true });
  return show.stdout
    .split(/\n\s*\n/)
    .map((block) => Object.fromEntries(block.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])))
    .filter((u) => u.Slice === slice && u.Id)
    .map((u) => u.Id as string);
}

/** memory.max of a cgroup and of each ancestor below the root: the tightest one is what holds. */
function memoryMaxChain(path: string): { rel: string; max: string | null }[] {
  const mount = cgroupMount();
  const chain: { rel: string; max: string | null }[] = [];
  for (let p = path; p.length > mount.length; p = p.slice(0, p.lastIndexOf('/'))) chain.push({ rel: shortCgroup(p), max: readCgroupFile(p, 'memory.max') });
  return chain;
}

export default defineCheck(
  async (t) => {
    const mount = cgroupMount();
    // A slice of the check's own: a transient unit (systemd's StartTransientUnit over D-Bus),
    // so nothing is written to /etc or /run/systemd/system and stopping it unloads it. No swap:
    // a MemoryMax alone would let the allocation above it go to swap rather than be killed.
    const slice = `${t.name('lxsl')}.slice`;
    const slicePath = `${mount}/${slice}`;
    t.defer(async () => {
      const left = await unitsIn(t, slice);
      await t.sh('systemctl', ['stop', slice], { allowFail: true, timeoutMs: 20_000 });
      if (left.length) await t.sh('systemctl', ['reset-failed', ...left], { allowFail: true }); // a failed scope stays loaded
    });
    // StartTransientUnit(name, mode, properties a(sv), aux a(sa(sv))): two properties, no aux units.
    const properties = ['2', 'MemoryMax', 't', String(LIMIT), 'MemorySwapMax', 't', '0'];
    await t.sh('busctl', ['call', 'org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager', 'StartTransientUnit', 'ssa(sv)a(sa(sv))', slice, 'fail', ...properties, '0'], {
      timeoutMs: 20_000,
    });
    if (!(await t.waitFor(() => readCgroupFile(slicePath, 'memory.max') === String(LIMIT), 10_000))) {
      throw new Error(`setup: systemd made no ${slice} with memory.max ${LIMIT} (${readCgroupFile(slicePath, 'memory.max') ?? 'no such cgroup'})`);
    }

    // A sleep we can find wherever it runs: a service would be started by systemd, not by the program.
    const secs = `30.${String(Date.now() % 1000).padStart(3, '0')}`;
    const find = () =>
      allPids().find((p) => {
        const c = cmdline(p);
        return c.length === 2 && c[0]?.split('/').pop() === 'sleep' && c[1] === secs;
      });
    const running = t.start([slice, 'sleep', secs]);
    const pid = (await t.waitFor(find, 8000, running)) ?? (running.exited() ? await t.waitFor(find, 3000) : undefined);
    t.must({
      id: 'command-started',
      title: `\`slice-runner ${slice} sleep ${secs}\` runs the command`,
      pass: pid !== undefined,
      expected: `a process "sleep ${secs}"`,
      observed: pid !== undefined ? `sleep is PID ${pid}` : `no such process; the program said: ${said({ stderr: running.stderr(), stdout: running.stdout() })}`,
      hint: 'Run the command through systemd: `systemd-run --scope --slice=<slice> <command>…` with os/exec.',
    });
    t.defer(() => t.sh('kill', ['-KILL', String(pid)], { allowFail: true })); // it is not in the program's jail any more

    // systemd moves the process into the scope as it starts it: give that a moment.
    const inSlice = () => {
      const c = cgroupOf(pid!);
      return c?.startsWith(`${slicePath}/`) ? c : undefined;
    };
    const cg = (await t.waitFor(inSlice, 3000)) ?? cgroupOf(pid!);
    const rel = shortCgroup(cg);
    const leaf = rel.split('/').pop() ?? '';
    t.must({
      id: 'in-slice',
      title: `The command runs under ${slice}`,
      pass: rel.startsWith(`/${slice}/`),
      expected: `/proc/${pid}/cgroup: 0::/${slice}/….scope`,
      observed: `0::${rel}`,
      hint: rel.startsWith('/system.slice/')
        ? 'systemd put it in its default slice, system.slice: tell systemd-run which one, --slice=<slice>.'
        : 'The command is not in the slice at all: ask systemd to run it there (systemd-run --scope --slice=<slice>).',
    });

    const unit = await unitProperties(t, leaf, ['LoadState', 'ActiveState', 'Slice', 'ControlGroup', 'EffectiveMemoryMax']);
    t.assert({
      id: 'scope-unit',
      title: 'It runs as a transient scope, directly in the slice',
      pass: leaf.endsWith('.scope') && rel === `/${slice}/${leaf}`,
      expected: `/${slice}/<name>.scope`,
      observed: `${rel}${leaf.endsWith('.service') ? ' (a service: systemd started it, not your program; its output went to the journal and its exit status is lost to you)' : ''}`,
      hint: 'systemd-run without --scope makes a service, run by systemd itself, detached from your program. --scope runs the command in your own foreground, in a scope.',
    });
    t.assert({
      id: 'scope-known',
      title: `systemd knows ${leaf} as a unit of ${slice}`,
      pass: unit.LoadState === 'loaded' && unit.ActiveState === 'active' && unit.Slice === slice && unit.ControlGroup === rel,
      expected: `LoadState=loaded ActiveState=active Slice=${slice} ControlGroup=${rel} (systemctl show ${leaf})`,
      observed: `LoadState=${unit.LoadState ?? '?'} ActiveState=${unit.ActiveState ?? '?'} Slice=${unit.Slice ?? '?'} ControlGroup=${unit.ControlGroup ?? '?'}`,
      hint: "A cgroup made by hand inside systemd's tree is not a unit: systemd does not know it, cannot stop it or account for it, and may remove it. Ask systemd for the scope (StartTransientUnit, or systemd-run --scope).",
    });

    const chain = memoryMaxChain(cg!);
    const finite = chain.map((c) => Number(c.max)).filter((n) => Number.isFinite(n));
    const effective = finite.length ? Math.min(...finite) : Infinity;
    t.assert({
      id: 'limit-inherited',
      title: `The slice's MemoryMax (${LIMIT} bytes) is the effective memory limit of the command`,
      pass: effective === LIMIT && chain.some((c) => c.rel === `/${slice}` && c.max === String(LIMIT)),
      expected: `memory.max ${LIMIT} in /${slice}; the tightest memory.max from the scope up is ${LIMIT}`,
      observed: chain.map((c) => `${c.rel}/memory.max = ${c.max ?? '(none)'}`).join('; ') + (unit.EffectiveMemoryMax ? `; systemd says EffectiveMemoryMax=${unit.EffectiveMemoryMax}` : ''),
      hint: 'The command must run below the slice: every memory.max on the way up to the root limits it.',
    });
    await t.snapshotCgroups('/', [`/${slice}`, rel]);
    await t.sh('kill', ['-KILL', String(pid)], { allowFail: true });
    await running.kill();

    // The limit by its effect: above it, the kernel's OOM killer; below it, nothing happens.
    const ooms = keyedFile(slicePath, 'memory.events').oom_kill ?? 0;
    const over = await t.run([slice, 'sh', '-c', `head -c ${OVER} /dev/zero | tail`], { timeoutMs: 40_000 });
    const oomsAfter = keyedFile(slicePath, 'memory.events').oom_kill ?? 0;
    t.assert({
      id: 'over-limit-killed',
      title: `Allocating ${OVER} in the scope is stopped by the OOM killer (the slice allows 64M)`,
      pass: over.code !== 0 && oomsAfter > ooms,
      expected: `\`head -c ${OVER} /dev/zero | tail\` fails; oom_kill in /${slice}/memory.events goes up`,
      observed: `exit ${over.code ?? over.signal}; oom_kill ${ooms} → ${oomsAfter}`,
      hint: oomsAfter > ooms ? "The kernel killed it, but your program's exit status says success: pass the command's status on." : 'The allocation was not limited: it did not run under the slice, or your program did not wait for it.',
    });
    const under = await t.run([slice, 'sh', '-c', `head -c ${UNDER} /dev/zero | tail >/dev/null`], { timeoutMs: 40_000 });
    t.assert({
      id: 'under-limit-runs',
      title: `Allocating ${UNDER} in the scope succeeds`,
      pass: under.code === 0,
      expected: 'exit 0',
      observed: `exit ${under.code ?? under.signal}${under.code !== 0 ? `; it said: ${said(under)}` : ''}`,
      hint: 'Run the command unchanged and pass its exit status on.',
    });

    const word = t.name('out');
    const r = await t.run([slice, 'sh', '-c', `echo ${word}; exit 7`]);
    t.equal('output', "The command's output comes through", r.stdout.trim(), word, 'A scope runs the command in your own process tree: give it your stdin, stdout and stderr.');
    t.equal('exit-code', "The command's exit code is passed back", r.code, 7, "Exit with the command's exit status (exec.ExitError.ExitCode()); a scope keeps the command your child, a service does not.");

    // Done, the scopes must go. One whose command was OOM-killed ends "failed", and a failed
    // unit stays loaded (systemctl list-units --failed) until someone resets it.
    const none = async () => ((await unitsIn(t, slice)).length === 0 ? [] : undefined);
    const left = (await t.waitFor(none, 3000)) ?? (await unitsIn(t, slice));
    const states = await Promise.all(left.map(async (u) => `${u} (${(await unitProperties(t, u, ['ActiveState'])).ActiveState ?? '?'})`));
    t.assert({
      id: 'scope-collected',
      title: `No unit is left in ${slice} once the commands are done`,
      pass: left.length === 0,
      expected: `no scope or service with Slice=${slice} in systemctl list-units --all`,
      observed: left.length ? states.join(', ') : 'empty',
      hint: 'A scope whose process was OOM-killed is "failed", and a failed transient unit stays loaded until reset-failed. systemd-run --collect (CollectMode=inactive-or-failed) unloads it anyway.',
    });
  },
  { timeoutMs: 120_000 },
);
