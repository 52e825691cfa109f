// Everything Monaco, in one module that is only ever loaded by dynamic import (see monaco.ts),
// so the home page and notebooks without a Go cell never download the editor.
// Only the core editor API and the Go grammar are imported (not `monaco-editor`'s main entry,
// which registers ~80 languages and four language services), plus one editor feature: marker
// navigation (F8, or clicking a diagnostic under Build) shows a compiler message inline, under
// its line. Hover would show it too but costs ~90 kB gzip, as much as all of xterm.
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/languages/definitions/go/register';
import 'monaco-editor/features/codicon/register';
import 'monaco-editor/features/gotoError/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';

// Monaco computes diffs and word ranges in a web worker; we only need the generic editor worker
// (Go has no language service here: the compiler's diagnostics come from the server's Build).
self.MonacoEnvironment = { getWorker: () => new EditorWorker() };

export { monaco };
