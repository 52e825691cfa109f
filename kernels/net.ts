// `ip -json` from iproute2, optionally inside a named network namespace.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export async function ipJson<T = unknown>(args: string[], netns?: string): Promise<T> {
  const argv = netns ? ['-n', netns, '-json', ...args] : ['-json', ...args];
  const { stdout } = await exec('ip', argv, { timeout: 10_000 });
  return JSON.parse(stdout || '[]') as T;
}
