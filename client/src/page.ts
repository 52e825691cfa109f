// What the router needs from a page.
export interface Page {
  /** Leaving the page for another one: stop timers, close sockets, dispose editors. */
  dispose(): void;
  /** The hash changed while the path stayed (back/forward between challenges). */
  onHashChange?(): void;
  /** The tab is being hidden or closed: save what is pending. */
  onLeave?(): void;
}
