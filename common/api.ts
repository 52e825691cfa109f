// HTTP request and response bodies (server/plugins/*.ts validate requests with these schemas).
import { Type, type Static } from '@sinclair/typebox';

export const MAX_SOURCE_BYTES = 256 * 1024;

export const SaveCode = Type.Object({ code: Type.String({ maxLength: MAX_SOURCE_BYTES }) });
export type SaveCode = Static<typeof SaveCode>;

export interface CodeView {
  code: string;
  savedAt: string | null; // null: never edited, this is the starter
}

/** A compiler message placed on a line of main.go. */
export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface BuildResult {
  ok: boolean;
  binary: string; // absolute path of the built binary
  durationMs: number;
  output: string; // everything go build printed
  diagnostics: Diagnostic[];
}

export interface ApiError {
  error: string;
  code: string;
}
