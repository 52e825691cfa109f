// Debounced saving of the learner's code. One save at a time, newest text wins, and flush()
// lets Build and Check wait until the server has exactly what the editor shows.

export type SaveState = 'saved' | 'saving' | 'failed';

export type SaveFn = (code: string, opts: { keepalive: boolean }) => Promise<void>;

export class Autosave {
  private pending: string | null = null; // text not yet sent
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<void> | null = null;
  private lastError: unknown = null;

  constructor(
    private readonly save: SaveFn,
    private readonly onState: (state: SaveState, error?: unknown) => void,
    private readonly delayMs = 500,
  ) {}

  /** The editor changed: save after a quiet period. */
  changed(code: string): void {
    this.pending = code;
    this.onState('saving');
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush().catch(() => {}); // the state shows the failure
    }, this.delayMs);
  }

  /** Save now; resolves once nothing is pending, rejects if the last save failed. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.inFlight || this.pending !== null) {
      if (this.inFlight) {
        await this.inFlight;
        continue;
      }
      const code = this.pending!;
      this.pending = null;
      this.inFlight = this.save(code, { keepalive: false }).then(
        () => {
          this.lastError = null;
        },
        (e: unknown) => {
          // Keep the text so the next flush (or edit) tries again; do not loop on it now.
          this.pending ??= code;
          this.lastError = e;
        },
      );
      await this.inFlight;
      this.inFlight = null;
      if (this.lastError) {
        this.onState('failed', this.lastError);
        throw this.lastError;
      }
    }
    this.onState('saved');
  }

  /** Drop unsaved text (Reset to starter replaces it) and wait for a save already under way. */
  async discard(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
    if (this.inFlight) await this.inFlight;
  }

  /** The page is going away: send what is pending with keepalive so the request survives it. */
  flushOnUnload(): void {
    if (this.pending === null) return;
    const code = this.pending;
    this.pending = null;
    void this.save(code, { keepalive: true }).catch(() => {});
  }

  get hasPending(): boolean {
    return this.pending !== null || this.inFlight !== null;
  }
}
