// The Go cell: the learner's main.go in Monaco, autosaved, with Build, Reset and the solution.
import type { BuildResult, CodeView, Diagnostic } from '../../../common/api.ts';
import { challengePath, errorText, getJson, sendJson } from '../api.ts';
import { Autosave, type SaveState } from '../autosave.ts';
import { formatDuration, formatTime, h, present } from '../dom.ts';
import { loadMonaco, monacoTheme, registerEditorForTests, type CodeEditor, type Monaco } from '../monaco.ts';
import type { Cell, Section } from './section.ts';

const AUTOSAVE_DELAY_MS = 500;
const MARKER_OWNER = 'go-build';
const EDITOR_MIN_PX = 160;
const EDITOR_MAX_VH = 0.7;

export function goCell(section: Section): Cell {
  const id = section.challenge.id;
  const button = (testid: string, label: string) => h('button', { type: 'button', 'data-testid': testid, disabled: true }, label);
  const buildBtn = button('build', 'Build');
  const resetBtn = button('reset', 'Reset to starter');
  const solutionBtn = button('show-solution', 'Show solution');
  solutionBtn.setAttribute('aria-pressed', 'false');
  const saveStatus = h('span', { class: 'save-status', 'data-testid': 'save-status', 'data-state': 'loading', role: 'status' }, 'loading…');
  const editorHost = h('div', { class: 'editor', 'data-testid': 'editor' }, h('p', { class: 'muted pad' }, 'Loading the editor…'));
  const solutionHost = h('div', { class: 'editor editor-solution', 'data-testid': 'solution' });
  const solutionBox = h('div', { class: 'solution', hidden: true }, h('h4', {}, 'Reference solution (read-only; your code is unchanged)'), solutionHost);
  const buildOut = h('div', { class: 'build-output', 'data-testid': 'build-output', hidden: true, 'aria-live': 'polite' });

  const el = h(
    'div',
    { class: 'cell cell-go' },
    h('div', { class: 'cell-toolbar' }, h('span', { class: 'file-name' }, 'main.go'), buildBtn, resetBtn, solutionBtn, saveStatus),
    editorHost,
    solutionBox,
    buildOut,
  );

  let monaco: Monaco | null = null;
  let editor: CodeEditor | null = null;
  let solutionEditor: CodeEditor | null = null;
  let applyingServerCode = false; // setValue from the server is not a learner's edit
  let disposed = false;

  const setSaveState = (state: SaveState | 'loading', detail?: string) => {
    saveStatus.dataset.state = state;
    saveStatus.textContent = { loading: 'loading…', saving: 'saving…', saved: 'saved', failed: 'save failed' }[state] + (detail ? ` · ${detail}` : '');
  };
  const autosave = new Autosave(
    async (code, { keepalive }) => {
      await sendJson<CodeView>('PUT', challengePath(id, 'code'), { code }, { keepalive });
    },
    (state, error) => setSaveState(state, error ? errorText(error) : undefined),
    AUTOSAVE_DELAY_MS,
  );
  section.addFlusher(() => autosave.flush());

  void (async () => {
    try {
      const [m, view] = await Promise.all([loadMonaco(), getJson<CodeView>(challengePath(id, 'code'))]);
      if (disposed) return;
      monaco = m;
      editorHost.replaceChildren();
      editor = m.editor.create(editorHost, {
        value: view.code,
        language: 'go',
        theme: monacoTheme(),
        automaticLayout: true, // sections are hidden and shown; Monaco re-measures itself
        minimap: { enabled: false },
        scrollBeyondLastLine: false,
        fontSize: 14,
        tabSize: 4,
        insertSpaces: false, // gofmt indents with tabs
        fixedOverflowWidgets: true,
        ariaLabel: `main.go of ${section.challenge.title}`,
      });
      fitHeight(editor, editorHost);
      registerEditorForTests(id, editor);
      editor.onDidChangeModelContent(() => {
        if (!applyingServerCode) autosave.changed(editor!.getValue());
      });
      setSaveState('saved', view.savedAt ? `last saved ${formatTime(view.savedAt)}` : 'starter code');
      for (const b of [buildBtn, resetBtn, solutionBtn]) b.disabled = false;
    } catch (e) {
      editorHost.replaceChildren(h('p', { class: 'error pad', role: 'alert' }, `Could not open main.go: ${errorText(e)}`));
      setSaveState('failed', errorText(e));
    }
  })();

  const setServerCode = (code: string) => {
    applyingServerCode = true;
    try {
      editor?.setValue(code);
    } finally {
      applyingServerCode = false;
    }
  };

  buildBtn.addEventListener('click', async () => {
    if (!editor || !monaco) return;
    buildBtn.disabled = true;
    showBuild(buildOut, { state: 'running', text: 'Saving and building…' });
    try {
      try {
        await section.flush();
      } catch (e) {
        showBuild(buildOut, { state: 'error', text: `Not built: main.go could not be saved (${errorText(e)}).` });
        return;
      }
      const result = await sendJson<BuildResult>('POST', challengePath(id, 'build'), {});
      if (disposed) return;
      setMarkers(monaco, editor, result.diagnostics);
      showBuild(buildOut, { state: result.ok ? 'ok' : 'failed', result, reveal: (d) => revealDiagnostic(editor!, d) });
    } catch (e) {
      showBuild(buildOut, { state: 'error', text: `Build request failed: ${errorText(e)}` });
    } finally {
      buildBtn.disabled = false;
    }
  });

  resetBtn.addEventListener('click', async () => {
    if (!editor || !monaco) return;
    if (!confirm('Replace your main.go with the starter code? Your changes will be lost.')) return;
    resetBtn.disabled = true;
    try {
      await autosave.discard(); // a late autosave must not overwrite the starter
      const view = await sendJson<CodeView>('POST', challengePath(id, 'reset'), {});
      setServerCode(view.code);
      setMarkers(monaco, editor, []);
      buildOut.hidden = true;
      setSaveState('saved', 'starter code');
    } catch (e) {
      setSaveState('failed', `reset failed: ${errorText(e)}`);
    } finally {
      resetBtn.disabled = false;
    }
  });

  solutionBtn.addEventListener('click', async () => {
    if (!monaco) return;
    if (!solutionBox.hidden) {
      solutionBox.hidden = true;
      solutionBtn.textContent = 'Show solution';
      solutionBtn.setAttribute('aria-pressed', 'false');
      return;
    }
    if (!confirm('Show the reference solution? It is usually worth trying a little longer first.')) return;
    solutionBtn.disabled = true;
    try {
      if (!solutionEditor) {
        const { code } = await getJson<{ code: string }>(challengePath(id, 'solution'));
        solutionBox.hidden = false; // Monaco measures its container when created
        solutionEditor = monaco.editor.create(solutionHost, {
          value: code,
          language: 'go',
          theme: monacoTheme(),
          readOnly: true,
          automaticLayout: true,
          minimap: { enabled: false },
          scrollBeyondLastLine: false,
          fontSize: 14,
          ariaLabel: `reference solution of ${section.challenge.title}`,
        });
        fitHeight(solutionEditor, solutionHost);
      }
      solutionBox.hidden = false;
      solutionBtn.textContent = 'Hide solution';
      solutionBtn.setAttribute('aria-pressed', 'true');
    } catch (e) {
      solutionBox.hidden = false;
      solutionHost.replaceChildren(h('p', { class: 'error pad' }, `Could not load the solution: ${errorText(e)}`));
    } finally {
      solutionBtn.disabled = false;
    }
  });

  return {
    el,
    leave: () => autosave.flushOnUnload(),
    dispose() {
      disposed = true;
      autosave.flushOnUnload();
      registerEditorForTests(id, null);
      editor?.dispose();
      solutionEditor?.dispose();
    },
  };
}

/** Grow the editor with its content (no inner scrollbar for short files), within limits. */
function fitHeight(editor: CodeEditor, host: HTMLElement): void {
  const apply = () => {
    const max = Math.max(EDITOR_MIN_PX, window.innerHeight * EDITOR_MAX_VH);
    host.style.height = `${Math.min(max, Math.max(EDITOR_MIN_PX, editor.getContentHeight()))}px`;
  };
  editor.onDidContentSizeChange(apply);
  apply();
}

/** Compiler messages for main.go become error squiggles; others only appear in the output. */
function setMarkers(monaco: Monaco, editor: CodeEditor, diagnostics: Diagnostic[]): void {
  const model = editor.getModel();
  if (!model) return;
  const markers = diagnostics.filter(isMainGo).map((d) => {
    const line = clamp(d.line, 1, model.getLineCount());
    const column = clamp(d.column || 1, 1, model.getLineMaxColumn(line));
    // Underline the word the compiler points at, or the rest of the line if there is none.
    const word = model.getWordAtPosition({ lineNumber: line, column });
    const endColumn = word ? word.endColumn : Math.max(column + 1, model.getLineMaxColumn(line));
    return {
      severity: monaco.MarkerSeverity.Error,
      message: d.message,
      source: 'go build',
      startLineNumber: line,
      startColumn: word ? word.startColumn : column,
      endLineNumber: line,
      endColumn,
    };
  });
  monaco.editor.setModelMarkers(model, MARKER_OWNER, markers);
  // An open marker view (from clicking a diagnostic) would keep showing the old message.
  editor.trigger('build', 'closeMarkersNavigation', undefined);
}

const isMainGo = (d: Diagnostic) => d.file === '' || d.file === 'main.go' || d.file.endsWith('/main.go');
const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

/** Put the cursor on a compiler message and open Monaco's inline marker view (the F8 widget) on it. */
function revealDiagnostic(editor: CodeEditor, d: Diagnostic): void {
  editor.setPosition({ lineNumber: d.line, column: Math.max(1, d.column) });
  editor.revealLineInCenter(d.line);
  editor.focus();
  editor.trigger('build-output', 'editor.action.marker.next', undefined);
}

type BuildView =
  | { state: 'running' | 'error'; text: string }
  | { state: 'ok' | 'failed'; result: BuildResult; reveal: (d: Diagnostic) => void };

function showBuild(out: HTMLElement, view: BuildView): void {
  out.hidden = false;
  out.dataset.state = view.state;
  if ('text' in view) {
    out.replaceChildren(h('p', { class: view.state === 'error' ? 'error' : 'muted' }, view.text));
    return;
  }
  const r = view.result;
  const summary = r.ok
    ? `✓ Built ${r.binary.split('/').pop()} in ${formatDuration(r.durationMs)}`
    : `✗ Build failed (${r.diagnostics.length} error${r.diagnostics.length === 1 ? '' : 's'}) in ${formatDuration(r.durationMs)}`;
  const place = (d: Diagnostic) => {
    const text = `${d.file}:${d.line}:${d.column}`;
    if (!isMainGo(d)) return h('code', {}, text);
    const b = h('button', { type: 'button', class: 'link', title: 'Show this line in the editor', 'data-testid': 'diagnostic' }, text);
    b.addEventListener('click', () => view.reveal(d));
    return b;
  };
  const list = h('ul', { class: 'diagnostics' }, ...r.diagnostics.map((d) => h('li', {}, place(d), ` ${d.message}`)));
  out.replaceChildren(
    ...present(
    h('p', { class: `build-summary ${r.ok ? 'ok' : 'failed'}`, 'data-testid': 'build-summary', 'data-ok': String(r.ok) }, summary),
    r.diagnostics.length ? list : null,
    r.output.trim() ? h('pre', { class: 'output' }, r.output) : null,
    ),
  );
}
