// Page weight from the built client's chunk graph (dist/client/.vite/manifest.json, written
// because vite.config.ts sets build.manifest): JS + CSS bytes, raw and gzip -9, of the home
// page (the entry and its static imports) and of a notebook page with Go and terminal cells
// (plus the dynamically imported chunks: Monaco, the Go grammar, the editor worker, xterm).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from '../server/lab.ts';

interface ManifestChunk {
  file: string;
  src?: string;
  name?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  isWorker?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
  assets?: string[];
}
type Manifest = Record<string, ManifestChunk>;

export interface FileWeight {
  file: string;
  raw: number;
  gzip: number;
}

export interface PageWeight {
  files: FileWeight[];
  raw: number;
  gzip: number;
}

export interface PagesBench {
  built: boolean; // whether this run had to build the client
  home: PageWeight;
  notebook: PageWeight;
  /** Files only the notebook page loads. */
  notebookOnly: string[];
  monacoChunk: string;
  monacoOnHome: boolean;
  /** Fonts and other non-JS/CSS assets of the notebook page (not in the totals). */
  otherAssets: FileWeight[];
}

const CLIENT_DIR = join(REPO_ROOT, 'dist', 'client');
const MANIFEST = join(CLIENT_DIR, '.vite', 'manifest.json');

function ensureBuilt(log: (s: string) => void): boolean {
  if (existsSync(MANIFEST)) return false;
  log('  dist/client/.vite/manifest.json missing: npx vite build');
  execFileSync(join(REPO_ROOT, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (!existsSync(MANIFEST)) throw new Error('vite build wrote no manifest: is build.manifest set in vite.config.ts?');
  return true;
}

const isCode = (f: string) => /\.(m?js|css)$/.test(f);

/** Every file a page loads, starting at the given manifest keys. */
function closure(m: Manifest, roots: string[], opts: { dynamic: boolean }): Set<string> {
  const files = new Set<string>();
  const seen = new Set<string>();
  const byFile = new Map(Object.entries(m).map(([key, c]) => [c.file, key]));
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    const c = m[key];
    if (!c) throw new Error(`manifest has no entry ${key}`);
    files.add(c.file);
    for (const css of c.css ?? []) files.add(css);
    for (const imp of c.imports ?? []) visit(imp);
    if (!opts.dynamic) return;
    for (const imp of c.dynamicImports ?? []) visit(imp);
    // Assets a chunk loads by URL: the editor worker (a JS file, which is code) and fonts.
    for (const asset of c.assets ?? []) {
      const workerKey = byFile.get(asset);
      if (workerKey) visit(workerKey);
      else files.add(asset);
    }
  };
  roots.forEach(visit);
  return files;
}

function weigh(files: Iterable<string>): PageWeight {
  const out: FileWeight[] = [];
  for (const file of [...files].filter(isCode).sort()) {
    const buf = readFileSync(join(CLIENT_DIR, file));
    out.push({ file, raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length });
  }
  return { files: out, raw: out.reduce((s, f) => s + f.raw, 0), gzip: out.reduce((s, f) => s + f.gzip, 0) };
}

export async function benchPages(opts: { log: (s: string) => void }): Promise<PagesBench> {
  try {
    return weighPages(opts);
  } catch (err) {
    // Another process may be rebuilding dist/client right now (vite empties it first): once more.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    opts.log(`  ${(err as Error).message}: dist/client changed under us, retrying in 5 s`);
    await new Promise((r) => setTimeout(r, 5000));
    return weighPages(opts);
  }
}

function weighPages(opts: { log: (s: string) => void }): PagesBench {
  const built = ensureBuilt(opts.log);
  const m = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest;
  const entries = Object.keys(m).filter((k) => m[k]!.isEntry);
  if (!entries.includes('index.html')) throw new Error(`no index.html entry in the manifest (entries: ${entries.join(', ')})`);
  const homeFiles = closure(m, ['index.html'], { dynamic: false });
  const notebookFiles = closure(m, ['index.html'], { dynamic: true });

  const find = (pred: (key: string, c: ManifestChunk) => boolean, what: string) => {
    const hit = Object.entries(m).find(([k, c]) => pred(k, c));
    if (!hit) throw new Error(`no ${what} chunk in the manifest`);
    return hit[1].file;
  };
  const monacoChunk = find((k) => k.endsWith('src/monaco-setup.ts'), 'Monaco (src/monaco-setup.ts)');
  const expected = {
    monaco: monacoChunk,
    'Go grammar': find((k) => /monaco-editor\/.*\/go\/go\.js$/.test(k), 'Go grammar'),
    'editor worker': find((_k, c) => c.isWorker === true && /editor\.worker/.test(c.file), 'editor worker'),
    xterm: find((k) => k.endsWith('src/terminal.ts'), 'terminal (xterm)'),
  };
  for (const [what, file] of Object.entries(expected)) {
    if (!notebookFiles.has(file)) throw new Error(`the notebook page set misses the ${what} chunk ${file}`);
  }
  const monacoKeys = new Set(Object.entries(m).filter(([k, c]) => /monaco/.test(k) || /monaco/.test(c.src ?? '')).map(([, c]) => c.file));
  const monacoOnHome = [...homeFiles].some((f) => monacoKeys.has(f));
  const otherAssets = [...notebookFiles]
    .filter((f) => !isCode(f))
    .sort()
    .map((file) => {
      const buf = readFileSync(join(CLIENT_DIR, file));
      return { file, raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length };
    });
  return {
    built,
    home: weigh(homeFiles),
    notebook: weigh(notebookFiles),
    notebookOnly: [...notebookFiles].filter((f) => !homeFiles.has(f) && isCode(f)).sort(),
    monacoChunk,
    monacoOnHome,
    otherAssets,
  };
}
