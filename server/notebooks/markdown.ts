// Markdown to HTML for lessons. Raw HTML is off; man page references like "setns(2)" become
// links to the online man pages, so lessons can cite them in plain text.
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });
const MAN_REF = /\b([a-z][a-z0-9_.-]*)\(([1-8])\)/g;

export function manUrl(page: string, section: string): string {
  return `https://man7.org/linux/man-pages/man${section}/${page}.${section}.html`;
}

md.core.ruler.push('man_links', (state) => {
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    const out: typeof block.children = [];
    let inLink = 0;
    for (const tok of block.children) {
      if (tok.type === 'link_open') inLink++;
      if (tok.type === 'link_close') inLink--;
      if (tok.type !== 'text' || inLink > 0 || !MAN_REF.test(tok.content)) {
        out.push(tok);
        continue;
      }
      MAN_REF.lastIndex = 0;
      let last = 0;
      for (const m of tok.content.matchAll(MAN_REF)) {
        const at = m.index ?? 0;
        if (at > last) out.push(Object.assign(new state.Token('text', '', 0), { content: tok.content.slice(last, at) }));
        const open = new state.Token('link_open', 'a', 1);
        open.attrs = [['href', manUrl(m[1]!, m[2]!)], ['target', '_blank'], ['rel', 'noopener'], ['class', 'man']];
        out.push(open, Object.assign(new state.Token('text', '', 0), { content: m[0] }), new state.Token('link_close', 'a', -1));
        last = at + m[0].length;
      }
      if (last < tok.content.length) out.push(Object.assign(new state.Token('text', '', 0), { content: tok.content.slice(last) }));
    }
    block.children = out;
  }
});

export function renderMarkdown(text: string): string {
  return md.render(text);
}
