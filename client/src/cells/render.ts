// One notebook cell → its element and lifecycle.
import type { Cell as CellModel } from '../../../common/notebook.ts';
import { errorText } from '../api.ts';
import { h, trustedHtml } from '../dom.ts';
import { checkCell } from './check-cell.ts';
import { diagramCell } from './diagram-cell.ts';
import { goCell } from './go-cell.ts';
import type { Cell, Section } from './section.ts';
import { terminalCell } from './terminal-cell.ts';
import { isParticipant } from '../workshop.ts';

/** A workshop participant reads the instructor's notebook; the doing happens in their own lab. */
const OWN_LAB: Record<Exclude<CellModel['kind'], 'text'>, string> = {
  go: 'write main.go there; this page only shows the lesson.',
  terminal: "try it in your lab's terminal. The instructor's shared terminal is beside this page.",
  check: "press Check there. Its result can go to the instructor's board.",
  diagram: "it draws this challenge's namespaces.",
};

function ownLabCell(cell: CellModel): Cell {
  const what = OWN_LAB[cell.kind as keyof typeof OWN_LAB] ?? 'this cell runs there.';
  const note = h('p', { class: 'own-lab-note', 'data-testid': 'own-lab-note', 'data-kind': cell.kind }, h('strong', {}, 'Do this in your own lab'), `: ${what}`);
  // A check cell's text says what is checked: worth reading here too.
  return { el: h('div', { class: `cell cell-own-lab cell-${cell.kind}-note` }, cell.kind === 'check' ? trustedHtml('div', 'prose', cell.html) : null, note) };
}

export function renderCell(section: Section, cell: CellModel): Cell {
  if (cell.kind !== 'text' && isParticipant()) return ownLabCell(cell);
  try {
    switch (cell.kind) {
      case 'text':
        return { el: trustedHtml('div', 'cell cell-text prose', cell.html) };
      case 'go':
        return goCell(section);
      case 'terminal':
        return terminalCell(section);
      case 'check':
        return checkCell(section, cell.html);
      case 'diagram':
        return diagramCell(section, cell.diagram, cell.root);
    }
  } catch (e) {
    // One broken cell should not take the rest of the notebook with it.
    return { el: h('div', { class: 'cell error', role: 'alert' }, `This cell could not be shown: ${errorText(e)}`) };
  }
  return { el: h('div', { class: 'cell muted' }, `(a “${(cell as { kind: string }).kind}” cell this page does not know how to show)`) };
}
