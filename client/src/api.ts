// The lab's HTTP API (docs/api.md). The access token travels as a cookie the server set on the
// first visit, so requests need no credentials of their own; same-origin fetch sends it.
import type { ApiError } from '../../common/api.ts';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function request(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    ...init,
  });
  if (!res.ok) throw await failure(res);
  return res;
}

/** Turn an error response into an ApiFailure, whether or not its body is the usual ApiError. */
export async function failure(res: Response): Promise<ApiFailure> {
  const text = await res.text().catch(() => '');
  try {
    const e = JSON.parse(text) as Partial<ApiError>;
    if (typeof e.error === 'string') return new ApiFailure(res.status, e.code ?? '', e.error);
  } catch {
    // not JSON: fall through and show the raw text
  }
  return new ApiFailure(res.status, '', `${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

export async function getJson<T>(path: string): Promise<T> {
  return (await request('GET', path)).json() as Promise<T>;
}

/** GET that answers null on 404 (e.g. "no check result yet"). */
export async function getJsonOrNull<T>(path: string): Promise<T | null> {
  try {
    return await getJson<T>(path);
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 404) return null;
    throw e;
  }
}

export async function sendJson<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, init?: RequestInit): Promise<T> {
  const res = await request(method, path, body, init);
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** POST that streams the answer back (the check's NDJSON). */
export function postStream(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return request('POST', path, body, { signal });
}

export const challengePath = (id: string, what: string) => `/api/challenges/${encodeURIComponent(id)}/${what}`;

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
