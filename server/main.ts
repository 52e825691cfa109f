// Start the lab: listen, and print the URL with the access token (like Jupyter does).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hostname, networkInterfaces } from 'node:os';
import { Workshop } from './workshop/state.ts';
import { build, LOOPBACK_HOSTS } from './app.ts';
import { Lab } from './lab.ts';
import { writeAtomic } from './workspace.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: process.env.LUX_HOST ?? '127.0.0.1' },
    port: { type: 'string', default: process.env.LUX_PORT ?? '8080' },
    workspace: { type: 'string' },
    workshop: { type: 'boolean', default: process.env.LUX_WORKSHOP === '1' },
    'max-viewers': { type: 'string', default: process.env.LUX_WORKSHOP_MAX_VIEWERS },
  },
});

const lab = new Lab({ workspaceRoot: values.workspace });
for (const e of lab.catalog.errors) console.error(`notebook refused: ${e.file}:${e.line}: ${e.reason}`);

/** The token persists in the state folder, so the printed URL survives a restart. */
function accessToken(): string {
  if (process.env.LUX_TOKEN) return process.env.LUX_TOKEN;
  const file = join(lab.workspace.root, 'state', 'token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = randomBytes(24).toString('hex');
  writeAtomic(file, `${token}\n`);
  return token;
}

const token = accessToken();
const wildcard = values.host === '0.0.0.0' || values.host === '::';
// Listening on every interface (the VM, a workshop): the lab answers to this machine's addresses.
const ownAddresses = wildcard ? Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address)).concat(hostname()) : [];
const extraHosts = (process.env.LUX_ALLOWED_HOSTS ?? '').split(',').filter(Boolean);
const port = Number(values.port);
const shown = wildcard ? (process.env.LUX_PUBLIC_HOST ?? '127.0.0.1') : values.host;
const base = `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
const workshop = values.workshop ? new Workshop({ maxViewers: values['max-viewers'] ? Number(values['max-viewers']) : undefined }) : undefined;
const links = workshop ? { instructor: `${base}/?token=${token}`, participant: `${base}/join?token=${workshop.participantToken}` } : undefined;
const { app } = await build({
  lab,
  token,
  allowedHosts: [...LOOPBACK_HOSTS, values.host, ...ownAddresses, ...extraHosts, ...(process.env.LUX_PUBLIC_HOST ? [process.env.LUX_PUBLIC_HOST] : [])],
  logger: process.env.LUX_LOG === '1',
  workshop,
  workshopLinks: links,
});
await app.listen({ host: values.host, port });
if (links) {
  console.log(`luxlab is running in workshop mode.\n\n  instructor (keep it to yourself):  ${links.instructor}\n  participants (share this):         ${links.participant}\n`);
} else {
  console.log(`luxlab is running. Open:\n\n    ${base}/?token=${token}\n`);
}
console.log(`workspace: ${lab.workspace.root}   (Ctrl-C to stop)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Give close() (terminals, sockets) a few seconds; a half-closed client must not hang the exit.
    const force = setTimeout(() => process.exit(0), 5000);
    void app.close().then(() => {
      clearTimeout(force);
      process.exit(0);
    });
  });
}
