// One notebook cell → its element and lifecycle.
import type { Cell as CellModel } from '../../../common/notebook.ts';
import { errorText } from '../api.ts';
import { h, trustedHtml } from '../dom.ts';
import { checkCell } from './check-cell.ts';
import { diagramCell } from './diagram-cell.ts';
import { goCell } from './go-cell.ts';
import type { Cell, Section } from './section.ts';
import { terminalCell } from './terminal-cell.ts';

export function renderCell(section: Section, cell: CellModel): Cell {
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
        return diagramCell(section);
    }
  } catch (e) {
    // One broken cell should not take the rest of the notebook with it.
    return { el: h('div', { class: 'cell error', role: 'alert' }, `This cell could not be shown: ${errorText(e)}`) };
  }
  return { el: h('div', { class: 'cell muted' }, `(a “${(cell as { kind: string }).kind}” cell this page does not know how to show)`) };
}
