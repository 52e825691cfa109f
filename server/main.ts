// Start the lab: listen, and print the URL with the access token (like Jupyter does).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build, LOOPBACK_HOSTS } from './app.ts';
import { Lab } from './lab.ts';
import { writeAtomic } from './workspace.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: process.env.LUX_HOST ?? '127.0.0.1' },
    port: { type: 'string', default: process.env.LUX_PORT ?? '8080' },
    workspace: { type: 'string' },
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
const extraHosts = (process.env.LUX_ALLOWED_HOSTS ?? '').split(',').filter(Boolean);
const { app } = await build({ lab, token, allowedHosts: [...LOOPBACK_HOSTS, values.host, ...extraHosts], logger: process.env.LUX_LOG === '1' });
const address = await app.listen({ host: values.host, port: Number(values.port) });
const port = new URL(address).port;
const shown = values.host === '0.0.0.0' || values.host === '::' ? '127.0.0.1' : values.host;
console.log(`luxlab is running. Open:\n\n    http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/?token=${token}\n`);
console.log(`workspace: ${lab.workspace.root}   (Ctrl-C to stop)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
