// Loads Monaco on demand. The import below is the only path to monaco-setup.ts, so Vite puts
// Monaco in its own chunk that the browser fetches the first time a Go cell is shown.
export type Monaco = typeof import('monaco-editor/editor/editor.api');
export type CodeEditor = import('monaco-editor/editor/editor.api').editor.IStandaloneCodeEditor;

let loading: Promise<Monaco> | null = null;

export function loadMonaco(): Promise<Monaco> {
  loading ??= import('./monaco-setup.ts').then((m) => {
    // For the browser test (and curious learners in devtools): the editors of the page by
    // challenge id, and the API to read their markers with.
    const w = window as LuxWindow;
    w.__luxMonaco = m.monaco;
    w.__luxEditors ??= {};
    return m.monaco;
  });
  return loading;
}

export interface LuxWindow extends Window {
  __luxMonaco?: Monaco;
  __luxEditors?: Record<string, CodeEditor>;
}

export function registerEditorForTests(challengeId: string, editor: CodeEditor | null): void {
  const w = window as LuxWindow;
  w.__luxEditors ??= {};
  if (editor) w.__luxEditors[challengeId] = editor;
  else delete w.__luxEditors[challengeId];
}

/** Monaco's built-in theme matching the page's (which follows the system's light/dark setting). */
export function monacoTheme(): 'vs' | 'vs-dark' {
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'vs-dark' : 'vs';
}
