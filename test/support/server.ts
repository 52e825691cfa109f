// A real lab server for tests: a throwaway workspace, a known token, listening on loopback.
import { mkdtempSync, rmSync } from 'node:fs';
import WebSocket from 'ws';
import { build, type LabServer } from '../../server/app.ts';
import { Lab } from '../../server/lab.ts';

export const TOKEN = 'test-token-0123456789';

export interface TestServer extends LabServer {
  url: string; // http://127.0.0.1:<port>
  workspace: string;
  stop(): Promise<void>;
}

export async function startServer(opts: { listen?: boolean } = {}): Promise<TestServer> {
  const workspace = mkdtempSync('/tmp/luxlab-test-ws-');
  const server = await build({ lab: new Lab({ workspaceRoot: workspace }), token: TOKEN });
  let url = 'http://localhost';
  if (opts.listen !== false) url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    ...server,
    url,
    workspace,
    stop: async () => {
      await server.app.close();
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}

/** A terminal client as the browser would be: cookie, same Origin. */
export function openTerminal(server: TestServer, id: string, headers: Record<string, string> = {}): WebSocket {
  const u = new URL(server.url);
  return new WebSocket(`ws://${u.host}/ws/terminals/${id}`, {
    headers: { cookie: `lux_token=${TOKEN}`, origin: server.url, ...headers },
  });
}
