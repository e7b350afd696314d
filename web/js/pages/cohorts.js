// Cohort builder: criteria + tag query + "similar to lesion X" + RECIST response, live counts, save, saved list, members, export.
import { getBlob, getJson, postJson, qs } from '../api.js';
import { lesionCard, tagChips } from '../cards.js';
import { clear, debounce, errorBox, field, fmt, h, toast } from '../dom.js';
import { compact, filterPanel } from '../filters.js';
import { canCurate } from '../session.js';
import { attachSuggest } from '../suggest.js';

const MEMBERS_PAGE = 24;

export async function renderCohorts(main, openId) {
  const filters = filterPanel({}, () => refresh(), { idPrefix: 'cohort' });
  const noisy = h(
    'select',
    { id: 'cohort-noisy', onchange: () => refresh() },
    h('option', { value: '' }, 'include'),
    h('option', { value: 'false' }, 'exclude'),
    h('option', { value: 'true' }, 'only noisy'),
  );
  const dataset = h('input', { id: 'cohort-dataset', placeholder: 'any', oninput: () => refresh() });
  const tags = h('input', { id: 'cohort-tags', placeholder: 'e.g. liver AND NOT cyst', oninput: () => refresh() });
  const similarId = h('input', { id: 'cohort-similar-id', type: 'number', min: 1, placeholder: 'lesion id', oninput: () => refresh() });
  const minSim = h('input', {
    id: 'cohort-min-sim',
    type: 'range',
    min: 0,
    max: 1,
    step: 0.01,
    value: 0.8,
    oninput: () => ((simValue.textContent = Number(minSim.value).toFixed(2)), refresh()),
  });
  const simValue = h('output', { id: 'cohort-min-sim-value' }, '0.80');
  const response = h(
    'select',
    { id: 'cohort-response', onchange: () => refresh() },
    [
      ['', 'any'],
      ['PD', 'progressive (PD)'],
      ['SD', 'stable (SD)'],
      ['PR', 'partial response (PR)'],
      ['CR', 'complete response (CR)'],
    ].map(([v, label]) => h('option', { value: v }, label)),
  );
  const counts = h('div.counts', { id: 'cohort-counts', 'aria-live': 'polite' });
  const name = h('input', { id: 'cohort-name', placeholder: 'e.g. Liver lesions > 20 mm, test split', required: true, maxlength: 200 });
  const description = h('textarea', { id: 'cohort-description', rows: 2, placeholder: 'optional' });
  const saveBtn = h(
    'button.btn.primary',
    { type: 'submit', id: 'cohort-save', disabled: !canCurate(), title: canCurate() ? '' : 'Saving needs a curator key' },
    'Save cohort',
  );
  const saved = h('div', { id: 'cohort-list' });
  const opened = h('section', { id: 'cohort-open' });

  clear(
    main,
    h(
      'div.layout-cohorts',
      h(
        'aside.sidebar',
        h('h1', 'Cohort builder'),
        filters.el,
        h('fieldset.filters', h('legend', 'More'), field('Possibly noisy annotations', noisy), field('Dataset', dataset), field('Tag query', tags)),
        h(
          'fieldset.filters',
          h('legend', 'Similar to a lesion'),
          field('Lesion id', similarId),
          h('label.field', h('span.label', 'Minimum similarity ', simValue), minSim),
        ),
        h(
          'fieldset.filters',
          h('legend', 'Response (RECIST 1.1)'),
          field('Track response at its latest study', response, 'the latest lesion of each track in that category'),
        ),
      ),
      h(
        'section.content',
        h('section.panel', h('h2', 'Matching lesions'), counts),
        h(
          'form.panel.save-form',
          { onsubmit: (e) => (e.preventDefault(), save()) },
          h('h2', 'Save'),
          field('Name', name),
          field('Description', description),
          saveBtn,
          canCurate() ? null : h('p.small.muted', 'Saving a cohort needs a curator key; counts and exports work with any key.'),
        ),
        h('section.panel', h('h2', 'Saved cohorts'), saved),
        opened,
      ),
    ),
  );
  attachSuggest(tags, { onPick: () => refresh() });

  function definition() {
    const f = compact(filters.get());
    const criteria = compact({ ...f, noisy: noisy.value === '' ? undefined : noisy.value === 'true', dataset: dataset.value.trim() || undefined });
    const def = {};
    if (Object.keys(criteria).length) def.criteria = criteria;
    if (tags.value.trim()) def.tags = tags.value.trim();
    if (similarId.value) def.similarTo = { lesionId: Number(similarId.value), minSimilarity: Number(minSim.value) };
    if (response.value) def.response = [response.value];
    return def;
  }

  let seq = 0;
  let unavailable = false;
  const refresh = debounce(async () => {
    if (unavailable) return;
    const mine = ++seq;
    counts.dataset.state = 'loading';
    try {
      const res = await postJson('cohorts/preview', { definition: definition() });
      if (mine !== seq) return;
      showCounts(counts, res.counts);
      // What the tag query was understood as, when the server says.
      const understood = res.tags?.understood ?? res.query?.understood;
      if (understood !== undefined)
        counts.prepend(
          h(
            'p.small',
            h('span.muted', 'Tag query understood as '),
            h('code', understood || '(nothing)'),
            res.tags?.unknownWords?.length ? h('span.muted', ` · unknown words: ${res.tags.unknownWords.join(', ')}`) : null,
          ),
        );
      counts.dataset.state = 'ready';
    } catch (err) {
      if (mine !== seq) return;
      counts.dataset.state = 'error';
      if (err.status === 404) {
        unavailable = true;
        clear(counts, h('p.muted', 'Cohorts are not available on this server yet.'));
      } else clear(counts, errorBox(err));
    }
  }, 300);

  async function save() {
    if (!name.value.trim()) return name.focus();
    try {
      const res = await postJson('cohorts', compact({ name: name.value.trim(), description: description.value.trim() || undefined, definition: definition() }));
      const cohort = res.cohort ?? res; // {id, name, version, …}, possibly with counts and members around it
      toast(`Saved "${cohort.name}" (version ${cohort.version})`);
      await loadList();
      location.hash = `#/cohorts/${encodeURIComponent(cohort.id)}`;
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  async function loadList() {
    try {
      const list = await getJson('cohorts');
      clear(
        saved,
        list.length
          ? h(
              'table.list',
              h('thead', h('tr', h('th', 'Name'), h('th', 'Version'), h('th', 'Lesions'), h('th', 'Created'))),
              h(
                'tbody',
                list.map((c) =>
                  h(
                    'tr',
                    { dataset: { cohortId: String(c.id) } },
                    h('td', h('a', { href: `#/cohorts/${encodeURIComponent(c.id)}` }, c.name)),
                    h('td', `v${c.version}`),
                    h('td', fmt.int(c.total ?? c.memberCount)),
                    h('td.muted', c.createdAt ? new Date(c.createdAt).toLocaleString() : ''),
                  ),
                ),
              ),
            )
          : h('p.muted', 'No saved cohorts yet.'),
      );
    } catch (err) {
      clear(saved, err.status === 404 ? h('p.muted', 'Cohorts are not available on this server yet.') : errorBox(err));
    }
  }

  async function open(id, offset = 0) {
    clear(opened, h('div.loading', 'Opening…'));
    try {
      const res = await getJson(`cohorts/${encodeURIComponent(id)}${qs({ offset, limit: MEMBERS_PAGE })}`);
      const c = res.cohort;
      const m = res.members;
      const download = (format) =>
        h('button.btn', { type: 'button', id: `export-${format}`, onclick: () => exportCohort(c, format) }, `Export ${format.toUpperCase()}`);
      clear(
        opened,
        h(
          'section.panel.cohort-detail',
          { id: 'cohort-detail' },
          h('div.section-head', h('h2', `${c.name} `, h('span.muted', `v${c.version}`)), h('div.buttons', download('csv'), download('json'))),
          c.description ? h('p', c.description) : null,
          h('pre.definition', JSON.stringify(c.definition, null, 2)),
          res.counts ? showCounts(h('div.counts'), res.counts) : null,
          h('h3', `Members (${fmt.int(m.total)})`),
          h(
            'div.grid.small-grid',
            { id: 'cohort-members' },
            m.items.map((l) => lesionCard(l, { extra: tagChips(l.tags, 3) })),
          ),
          h(
            'nav.pager',
            h('button.btn.small', { type: 'button', disabled: m.offset <= 0, onclick: () => open(id, Math.max(0, m.offset - MEMBERS_PAGE)) }, '‹ Previous'),
            h('span.muted', `${m.total ? m.offset + 1 : 0}–${Math.min(m.offset + m.items.length, m.total)} of ${fmt.int(m.total)}`),
            h(
              'button.btn.small',
              { type: 'button', disabled: m.offset + m.items.length >= m.total, onclick: () => open(id, m.offset + MEMBERS_PAGE) },
              'Next ›',
            ),
          ),
        ),
      );
    } catch (err) {
      clear(opened, errorBox(err));
    }
  }

  async function exportCohort(c, format) {
    try {
      const blob = await getBlob(`cohorts/${encodeURIComponent(c.id)}/export?format=${format}`);
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: `${c.name.replace(/[^\w.-]+/g, '_')}-v${c.version}.${format}` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  refresh();
  await loadList();
  if (openId) open(openId).then(() => opened.scrollIntoView({ block: 'start' }));
  return () => refresh.cancel();
}

/** Total and bar lists by type, sex, age band, split, size band. */
function showCounts(el, c) {
  const bars = (title, rows, label) => {
    const max = Math.max(1, ...rows.map((r) => r.count));
    return h(
      'div.bars',
      h('h3', title),
      rows.length
        ? rows.map((r) =>
            h(
              'div.bar-row',
              h('span.bar-label', label(r)),
              h('span.bar', h('span.fill', { style: `width:${(100 * r.count) / max}%` })),
              h('span.bar-count', fmt.int(r.count)),
            ),
          )
        : h('p.muted.small', '–'),
    );
  };
  const key = (r) => (r.key === null || r.key === undefined ? 'unknown' : String(r.key));
  return clear(
    el,
    h('div.total', h('span.big-number', { id: 'cohort-total' }, fmt.int(c.total)), h('span.muted', ` lesion${c.total === 1 ? '' : 's'}`)),
    h(
      'div.bar-grid',
      bars('Type', c.byType || [], (r) => r.name ?? String(r.code)),
      bars('Sex', c.bySex || [], key),
      bars('Age', c.byAgeBand || [], key),
      bars('Split', c.bySplit || [], key),
      bars('Long axis', c.bySizeBand || [], key),
    ),
  );
}
