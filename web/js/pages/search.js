// Search: one box for tag queries and free text (with term suggestions), structured filters, result grid.
import { getJson, qs } from '../api.js';
import { lesionCard, tagChips } from '../cards.js';
import { clear, debounce, errorBox, fmt, h } from '../dom.js';
import { compact, filterPanel, filtersFromParams } from '../filters.js';
import { attachSuggest } from '../suggest.js';

const PAGE = 24;

export function renderSearch(main, params) {
  const state = {
    q: params.get('q') || '',
    window: params.get('window') === 'lung' ? 'lung' : 'soft',
    offset: Math.max(0, Number(params.get('offset')) || 0),
  };
  let suggest = null;
  const input = h('input.big', {
    id: 'q',
    type: 'search',
    value: state.q,
    placeholder: 'e.g. liver lesion not cyst, "lymph node" OR nodule, hypodense',
    'aria-label': 'Tag query or free text',
  });
  const form = h(
    'form.searchbar',
    { role: 'search', onsubmit: (e) => (e.preventDefault(), suggest?.cancel(), go({ offset: 0 })) },
    input,
    h('button.btn.primary', { type: 'submit', id: 'search-submit' }, 'Search'),
  );
  const filters = filterPanel(
    filtersFromParams(params),
    debounce(() => go({ offset: 0 }), 350),
    { idPrefix: 'search' },
  );
  const windowToggle = h(
    'div.segmented',
    { role: 'group', 'aria-label': 'Thumbnail window' },
    ['soft', 'lung'].map((w) =>
      h(
        'button.btn.small',
        { type: 'button', 'aria-pressed': String(state.window === w), dataset: { window: w }, onclick: () => go({ window: w }) },
        w === 'soft' ? 'Soft tissue' : 'Lung',
      ),
    ),
  );
  const understood = h('div.understood', { id: 'understood' });
  const results = h('div.results', { id: 'results', 'aria-live': 'polite' });
  const pager = h('nav.pager', { 'aria-label': 'Pages' });

  clear(
    main,
    h(
      'div.layout-search',
      h('aside.sidebar', filters.el),
      h('section.content', form, h('div.toolbar', understood, h('div.spacer'), h('span.muted.small', 'Window'), windowToggle), results, pager),
    ),
  );
  suggest = attachSuggest(input, { onPick: () => input.focus() });
  if (!state.q) input.focus();

  function go(change) {
    const next = { ...state, q: input.value.trim(), ...change };
    const p = new URLSearchParams(
      qs({ q: next.q, ...compact(filters.get()), window: next.window === 'soft' ? undefined : next.window, offset: next.offset || undefined }).slice(1),
    );
    const hash = `#/search${p.toString() ? `?${p}` : ''}`;
    // Keep the state in the address (bookmarkable, Back works) without rebuilding the page (focus stays).
    if (location.hash !== hash) history.pushState(null, '', hash);
    Object.assign(state, next);
    for (const b of windowToggle.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.window === state.window));
    load();
  }

  let controller = null;
  async function load() {
    controller?.abort();
    controller = new AbortController();
    clear(results, h('div.loading', 'Searching…'));
    const query = { ...compact(filters.get()), q: state.q || undefined, offset: state.offset, limit: PAGE };
    try {
      const page = await getJson(`lesions${qs(query)}`, { signal: controller.signal });
      showInterpretation(page.query);
      if (!page.items.length) {
        clear(results, h('p.empty', state.q ? 'No lesion matches this query and these filters.' : 'No lesions match these filters.'));
      } else {
        clear(
          results,
          h('p.muted.small', { id: 'result-count' }, `${fmt.int(page.total)} lesion${page.total === 1 ? '' : 's'}${state.q ? ', best tag match first' : ''}`),
          h(
            'div.grid',
            { id: 'grid' },
            page.items.map((l) => lesionCard(l, { window: state.window, extra: tagChips(l.tags) })),
          ),
        );
      }
      showPager(page);
    } catch (err) {
      if (err.name !== 'AbortError') clear(results, errorBox(err));
    }
  }

  function showInterpretation(q) {
    if (!q) return clear(understood);
    clear(
      understood,
      h('span.muted', 'Understood as '),
      h('code', { id: 'understood-as' }, q.understood || '(nothing)'),
      q.corrections?.length
        ? h(
            'span.corrections',
            ' · corrected ',
            q.corrections.map((c) => h('span.chip.warn', `${c.text} → ${c.term}`)),
          )
        : null,
      q.unknownWords?.length
        ? h(
            'span.unknown',
            ' · unknown words ',
            q.unknownWords.map((w) => h('span.chip.bad', w)),
          )
        : null,
      q.warnings?.length
        ? h(
            'div.warnings',
            q.warnings.map((w) => h('div.small.warn-text', w)),
          )
        : null,
    );
  }

  function showPager(page) {
    const from = page.total ? page.offset + 1 : 0;
    const to = Math.min(page.offset + page.items.length, page.total);
    clear(
      pager,
      h(
        'button.btn.small',
        { type: 'button', id: 'prev-page', disabled: page.offset <= 0, onclick: () => go({ offset: Math.max(0, page.offset - PAGE) }) },
        '‹ Previous',
      ),
      h('span.muted', `${from}–${to} of ${fmt.int(page.total)}`),
      h('button.btn.small', { type: 'button', id: 'next-page', disabled: to >= page.total, onclick: () => go({ offset: page.offset + PAGE }) }, 'Next ›'),
    );
  }

  load();
  return () => controller?.abort();
}
