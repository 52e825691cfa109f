// The check cell: runs the challenge's verifier against the learner's binary and shows each
// assertion as the server streams it (NDJSON of CheckEvent).
import type { AssertionResult, CheckEvent, CheckResult } from '../../../common/check.ts';
import { challengePath, errorText, getJsonOrNull, postStream } from '../api.ts';
import { cgroupDiagram } from '../cgroups.ts';
import { namespaceDiagram } from '../diagram.ts';
import { topologyDiagram } from '../topology.ts';
import { formatDuration, formatTime, h, present, trustedHtml } from '../dom.ts';
import { ndjson } from '../ndjson.ts';
import type { Cell, Section } from './section.ts';

export function checkCell(section: Section, html: string): Cell {
  const id = section.challenge.id;
  const checkBtn = h('button', { type: 'button', class: 'primary', 'data-testid': 'check' }, 'Check');
  const state = h('span', { class: 'check-state', 'data-testid': 'check-state', role: 'status' }, '');
  const log = h('div', { class: 'check-log', 'data-testid': 'check-log' });
  const assertions = h('ol', { class: 'assertions', 'data-testid': 'assertions' });
  const summary = h('div', { class: 'check-summary', 'data-testid': 'check-summary', hidden: true });
  const diagram = h('div', { class: 'diagram check-diagram', 'data-testid': 'check-diagram', hidden: true });
  const el = h(
    'div',
    { class: 'cell cell-check' },
    trustedHtml('div', 'prose', html),
    h('div', { class: 'cell-toolbar' }, checkBtn, state),
    log,
    assertions,
    summary,
    diagram,
  );

  let abort: AbortController | null = null;

  const clear = () => {
    log.replaceChildren();
    assertions.replaceChildren();
    summary.hidden = true;
    diagram.hidden = true;
    diagram.replaceChildren();
  };
  const showResult = (result: CheckResult, previous: boolean) => {
    // The stream normally delivered every assertion already; the result is the authority.
    if (assertions.children.length !== result.assertions.length) assertions.replaceChildren(...result.assertions.map(assertionItem));
    summary.replaceChildren(...summaryContent(result, previous));
    summary.dataset.status = result.status;
    summary.hidden = false;
    const pictures = present(
      result.diagram ? h('h4', {}, 'Namespaces during the check') : null,
      result.diagram ? namespaceDiagram(result.diagram) : null,
      result.topology ? h('h4', {}, 'Network during the check') : null,
      result.topology ? topologyDiagram(result.topology) : null,
      result.cgroups ? h('h4', {}, 'Cgroups during the check') : null,
      result.cgroups ? cgroupDiagram(result.cgroups) : null,
    );
    if (pictures.length) {
      diagram.replaceChildren(...pictures);
      diagram.hidden = false;
    }
  };

  void getJsonOrNull<CheckResult>(challengePath(id, 'result')).then(
    (last) => {
      if (last && !abort) showResult(last, true);
    },
    () => {}, // no earlier result to show is not worth an error
  );

  checkBtn.addEventListener('click', async () => {
    checkBtn.disabled = true;
    el.dataset.running = 'true';
    clear();
    abort = new AbortController();
    state.textContent = 'saving main.go…';
    try {
      try {
        await section.flush();
      } catch (e) {
        state.textContent = `Not checked: main.go could not be saved (${errorText(e)}).`;
        return;
      }
      state.textContent = 'checking…';
      const res = await postStream(challengePath(id, 'check'), {}, abort.signal);
      let result: CheckResult | null = null;
      for await (const ev of ndjson<CheckEvent>(res.body!)) {
        if (ev.type === 'log') log.append(h('div', { class: 'log-line' }, ev.text));
        else if (ev.type === 'assertion') assertions.append(assertionItem(ev.assertion));
        else if (ev.type === 'end') result = ev.result;
      }
      if (!result) throw new Error('the check ended without a result');
      showResult(result, false);
      state.textContent = '';
      section.checkEnded(result);
    } catch (e) {
      if (abort?.signal.aborted) return;
      state.textContent = `Check failed to run: ${errorText(e)}`;
    } finally {
      abort = null;
      checkBtn.disabled = false;
      delete el.dataset.running;
    }
  });

  return {
    el,
    dispose() {
      abort?.abort();
    },
  };
}

function assertionItem(a: AssertionResult): HTMLElement {
  const li = h(
    'li',
    { class: `assertion ${a.pass ? 'pass' : 'fail'}`, 'data-testid': 'assertion', 'data-pass': String(a.pass), 'data-id': a.id },
    h('span', { class: 'assertion-icon', 'aria-hidden': 'true' }, a.pass ? '✓' : '✗'),
    h('span', { class: 'visually-hidden' }, a.pass ? 'passed: ' : 'failed: '),
    h('span', { class: 'assertion-title' }, a.title),
  );
  if (!a.pass) {
    li.append(
      h(
        'dl',
        { class: 'assertion-detail' },
        h('dt', {}, 'expected'),
        h('dd', {}, h('pre', {}, a.expected)),
        h('dt', {}, 'observed'),
        h('dd', {}, h('pre', {}, a.observed)),
        a.hint ? h('dt', {}, 'hint') : null,
        a.hint ? h('dd', { class: 'hint' }, a.hint) : null,
      ),
    );
  }
  return li;
}

function summaryContent(r: CheckResult, previous: boolean): (Node | string)[] {
  const passed = r.assertions.filter((a) => a.pass).length;
  const word = { passed: '✓ Passed', failed: '✗ Failed', error: '⚠ Error', unavailable: '○ Not run on this machine' }[r.status];
  if (r.status === 'unavailable') {
    return present(
      h('p', {}, h('strong', {}, word), ' — this kernel lacks what the check needs (see ', h('a', { href: '/doctor', 'data-route': true }, 'what this machine offers'), '):'),
      h('ul', { class: 'unavailable' }, ...(r.unavailable ?? []).map((u) => h('li', {}, u))),
    );
  }
  return present(
    h(
      'p',
      {},
      h('strong', {}, word),
      ` — ${passed}/${r.assertions.length} assertions passed in ${formatDuration(r.durationMs)}`,
      previous ? h('span', { class: 'muted' }, ` (last check, ${formatTime(r.startedAt)})`) : null,
    ),
    r.error ? h('p', { class: 'error' }, r.error) : null,
    r.swept.length
      ? h('p', { class: 'swept' }, 'Left behind and cleaned up by the lab: ', ...r.swept.flatMap((x, i) => [i ? ', ' : '', h('code', {}, x)]))
      : h('p', { class: 'muted' }, 'Nothing was left behind.'),
  );
}
