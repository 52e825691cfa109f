// What the cells of one challenge section share: the challenge, the editor's pending save (so
// Build and Check can wait for it), and events between cells (a check ending refreshes the diagram).
import type { CheckResult } from '../../../common/check.ts';
import type { Challenge } from '../../../common/notebook.ts';

export interface Cell {
  el: HTMLElement;
  /** The section became visible (xterm and Monaco measure themselves then). */
  shown?(): void;
  /** The tab is going away: save what is pending. */
  leave?(): void;
  dispose?(): void;
}

export class Section {
  /** Fired with the CheckResult as detail when a check of this challenge ends. */
  static readonly CHECK_END = 'check-end';

  readonly events = new EventTarget();
  private flushers: (() => Promise<void>)[] = [];

  constructor(
    readonly challenge: Challenge,
    /** Tells the page a check finished (the table of contents shows the new status). */
    readonly reportResult: (result: CheckResult) => void,
  ) {}

  /** A cell with unsaved work registers how to save it. */
  addFlusher(flush: () => Promise<void>): void {
    this.flushers.push(flush);
  }

  /** Save everything pending before running anything; rejects if a save failed. */
  async flush(): Promise<void> {
    await Promise.all(this.flushers.map((f) => f()));
  }

  checkEnded(result: CheckResult): void {
    this.reportResult(result);
    this.events.dispatchEvent(new CustomEvent<CheckResult>(Section.CHECK_END, { detail: result }));
  }
}
