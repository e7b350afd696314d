// The structured filter panel shared by search and the cohort builder.
import { COARSE_TYPES } from './coarse-types.js';
import { SPLITS, h } from './dom.js';

/**
 * Builds the filter controls; `onChange()` fires on every edit. `get()` returns
 * {coarseType:number[], sex, ageMin, ageMax, diameterMinMm, diameterMaxMm, split:string[]} (empty values left out).
 */
export function filterPanel(initial = {}, onChange = () => {}, { idPrefix = 'f' } = {}) {
  const types = COARSE_TYPES.map((t) =>
    h(
      'label.check',
      h('input', { type: 'checkbox', value: String(t.code), checked: (initial.coarseType || []).includes(t.code), dataset: { filter: 'type' } }),
      t.name,
    ),
  );
  const sex = h(
    'select',
    { id: `${idPrefix}-sex` },
    h('option', { value: '' }, 'any'),
    h('option', { value: 'F', selected: initial.sex === 'F' }, 'female'),
    h('option', { value: 'M', selected: initial.sex === 'M' }, 'male'),
  );
  const num = (id, value, placeholder, attrs = {}) =>
    h('input', { id: `${idPrefix}-${id}`, type: 'number', min: 0, step: 'any', inputmode: 'decimal', value: value ?? '', placeholder, ...attrs });
  const ageMin = num('age-min', initial.ageMin, 'min', { max: 150 });
  const ageMax = num('age-max', initial.ageMax, 'max', { max: 150 });
  const diaMin = num('dia-min', initial.diameterMinMm, 'min');
  const diaMax = num('dia-max', initial.diameterMaxMm, 'max');
  const splits = SPLITS.map((s) =>
    h('label.check', h('input', { type: 'checkbox', value: s, checked: (initial.split || []).includes(s), dataset: { filter: 'split' } }), s),
  );

  const el = h(
    'fieldset.filters',
    h('legend', 'Filters'),
    h('div.group', h('span.label', 'Lesion type'), h('div.checks', types)),
    h('label.field', h('span.label', 'Sex'), sex),
    h('div.group', h('span.label', 'Age (years)'), h('div.range', ageMin, h('span', '–'), ageMax)),
    h('div.group', h('span.label', 'Long axis (mm)'), h('div.range', diaMin, h('span', '–'), diaMax)),
    h('div.group', h('span.label', 'Split'), h('div.checks', splits)),
    h('button.btn.ghost.small', { type: 'button', onclick: () => reset() }, 'Clear filters'),
  );
  el.addEventListener('change', () => onChange());
  el.addEventListener('input', (e) => e.target.type === 'number' && onChange());

  const numberOf = (input) => (input.value === '' || !Number.isFinite(Number(input.value)) ? undefined : Number(input.value));
  function get() {
    return {
      coarseType: types
        .map((l) => l.querySelector('input'))
        .filter((i) => i.checked)
        .map((i) => Number(i.value)),
      sex: sex.value || undefined,
      ageMin: numberOf(ageMin),
      ageMax: numberOf(ageMax),
      diameterMinMm: numberOf(diaMin),
      diameterMaxMm: numberOf(diaMax),
      split: splits
        .map((l) => l.querySelector('input'))
        .filter((i) => i.checked)
        .map((i) => i.value),
    };
  }
  function reset() {
    for (const i of el.querySelectorAll('input')) i.type === 'checkbox' ? (i.checked = false) : (i.value = '');
    sex.value = '';
    onChange();
  }
  return { el, get };
}

/** Leaves out empty values and empty lists (for JSON bodies). */
export function compact(obj) {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && !v.length)));
}

/** Reads filters back from URL parameters (the search page keeps its state in the hash). */
export function filtersFromParams(p) {
  const n = (k) => (p.has(k) && p.get(k) !== '' ? Number(p.get(k)) : undefined);
  return {
    coarseType: p.get('coarseType') ? p.get('coarseType').split(',').map(Number) : [],
    sex: p.get('sex') || undefined,
    ageMin: n('ageMin'),
    ageMax: n('ageMax'),
    diameterMinMm: n('diameterMinMm'),
    diameterMaxMm: n('diameterMaxMm'),
    split: p.get('split') ? p.get('split').split(',') : [],
  };
}
