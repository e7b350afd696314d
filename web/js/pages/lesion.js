// One lesion: the slice around it with the box, metadata, tags with sources (curators edit), similar lesions, follow-ups.
import { getBlob, getJson, postJson, request } from '../api.js';
import { hitCard, lesionCard, whyLine } from '../cards.js';
import { authImage, clear, errorBox, fmt, h, objectUrl, toast } from '../dom.js';
import { canCurate } from '../session.js';
import { attachSuggest } from '../suggest.js';
import { growthPlot } from '../growth-plot.js';

const WINDOWS = [
  ['soft', 'Soft tissue'],
  ['lung', 'Lung'],
  ['bone', 'Bone'],
  ['liver', 'Liver'],
];

export async function renderLesion(main, id) {
  const lesion = await getJson(`lesions/${id}`);
  const view = { window: 'soft', contextMm: 120, box: true };

  const img = h('img.slice', { id: 'lesion-image', alt: `Lesion ${id} with its box` });
  const imageControls = h(
    'div.toolbar',
    h(
      'div.segmented',
      { role: 'group', 'aria-label': 'Window' },
      WINDOWS.map(([w, label]) =>
        h('button.btn.small', { type: 'button', dataset: { window: w }, 'aria-pressed': String(w === view.window), onclick: () => set({ window: w }) }, label),
      ),
    ),
    h(
      'label.inline',
      'Field of view ',
      h(
        'select',
        { id: 'context-mm', onchange: (e) => set({ contextMm: Number(e.target.value) }) },
        [60, 120, 250, 400].map((v) => h('option', { value: v, selected: v === view.contextMm }, `${v} mm`)),
      ),
    ),
    h('label.check', h('input', { type: 'checkbox', checked: true, onchange: (e) => set({ box: e.target.checked }) }), 'Box'),
  );
  let imgSeq = 0;
  async function loadImage() {
    const mine = ++imgSeq;
    img.dataset.state = 'loading';
    for (const b of imageControls.querySelectorAll('[data-window]')) b.setAttribute('aria-pressed', String(b.dataset.window === view.window));
    try {
      const blob = await getBlob(`lesions/${id}/patch.png?window=${view.window}&size=512&contextMm=${view.contextMm}&box=${view.box}`);
      if (mine !== imgSeq) return;
      img.onload = () => (img.dataset.state = 'loaded');
      img.src = objectUrl(blob);
    } catch (err) {
      img.dataset.state = 'failed';
      toast(err.message, 'error');
    }
  }
  const set = (change) => (Object.assign(view, change), loadImage());

  const tagsBox = h('div', { id: 'lesion-tags' });
  const similarBox = h('div.grid.small-grid', { id: 'similar', 'aria-live': 'polite' });
  const followBox = h('div', { id: 'follow-ups' });
  const growthBox = h('div', { id: 'growth' });
  const excludeSame = h('input', { type: 'checkbox', id: 'exclude-same-patient', checked: true, onchange: () => loadSimilar() });

  clear(
    main,
    h(
      'div.lesion-page',
      h(
        'div.crumbs',
        h('button.btn.ghost.small', { type: 'button', onclick: () => history.back() }, '‹ Back'),
        h('h1', `Lesion #${lesion.id}`),
        h('span.badge', lesion.coarseType.name),
        lesion.possiblyNoisy ? h('span.badge.warn', 'possibly noisy') : null,
      ),
      h(
        'div.lesion-top',
        h('section.viewer', h('div.slice-frame', img), imageControls),
        h('section.panel', h('h2', 'Details'), metadata(lesion), h('h2', 'Tags'), tagsBox),
      ),
      h('section.panel', h('div.section-head', h('h2', 'Similar lesions'), h('label.check', excludeSame, 'Other patients only')), similarBox),
      h('section.panel', h('h2', 'Follow-ups (same patient, other studies)'), followBox),
      h('section.panel', h('h2', 'Growth (track, RECIST 1.1, prediction in 90 days)'), growthBox),
    ),
  );

  async function loadTags() {
    try {
      const t = await getJson(`lesions/${id}/tags`);
      clear(tagsBox, tagTable(t));
    } catch (err) {
      clear(tagsBox, errorBox(err));
    }
  }

  function tagTable(t) {
    const curator = canCurate();
    const rows = t.tags.map((tag) =>
      h(
        'tr',
        { dataset: { term: tag.term } },
        h('td', h('strong', tag.term), tag.termClass ? h('div.muted.small', tag.termClass) : null),
        h('td', fmt.pct(tag.confidence)),
        h(
          'td',
          tag.sources.map((s) =>
            h(
              `span.chip.src-${s.source}`,
              { title: [s.by && `by ${s.by}`, s.at && new Date(s.at).toLocaleString(), s.uncertain && 'uncertain'].filter(Boolean).join(' · ') },
              `${s.source} ${fmt.pct(s.confidence)}${s.uncertain ? ' ?' : ''}`,
            ),
          ),
        ),
        curator
          ? h('td', h('button.btn.ghost.small.danger', { type: 'button', title: `Remove ${tag.term}`, onclick: () => removeTag(tag.term) }, 'Remove'))
          : null,
      ),
    );
    const table = rows.length
      ? h('table.tags', h('thead', h('tr', h('th', 'Term'), h('th', 'Confidence'), h('th', 'Sources'), curator ? h('th', '') : null)), h('tbody', rows))
      : h('p.muted', 'No tags yet.');
    const rejected = t.rejected?.length ? h('p.small.muted', 'Removed by a curator: ', t.rejected.join(', ')) : null;
    let add = null;
    if (curator) {
      const input = h('input', { id: 'add-tag', placeholder: 'add a term…' });
      add = h(
        'form.inline-form',
        { onsubmit: (e) => (e.preventDefault(), addTag(input.value.trim())) },
        input,
        h('button.btn.small', { type: 'submit' }, 'Add tag'),
      );
      queueMicrotask(() => attachSuggest(input, { whole: true }));
    }
    return [table, rejected, add];
  }

  async function addTag(term) {
    if (!term) return;
    try {
      clear(tagsBox, tagTable(await postJson(`lesions/${id}/tags`, { term })));
      toast(`Added ${term}`);
    } catch (err) {
      toast(err.message, 'error');
    }
  }
  async function removeTag(term) {
    try {
      const res = await request(`lesions/${id}/tags/${encodeURIComponent(term)}`, { method: 'DELETE' });
      clear(tagsBox, tagTable(await res.json()));
      toast(`Removed ${term}`);
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  async function loadSimilar() {
    clear(similarBox, h('div.loading', 'Finding similar lesions…'));
    try {
      const res = await postJson('search/similar', { lesionId: id, k: 12, excludeSamePatient: excludeSame.checked });
      const card = (hit) => hitCard(hit, view.window === 'lung' ? 'lung' : 'soft');
      // Curators mark hits; the token from this search is what lets the server accept the mark.
      const withFeedback = (hit) => (canCurate() && hit.feedbackToken ? h('div.hit-with-feedback', card(hit), feedbackControl(hit)) : card(hit));
      clear(similarBox, res.hits.length ? res.hits.map(withFeedback) : h('p.muted', 'No similar lesions found.'));
    } catch (err) {
      clear(similarBox, errorBox(err));
    }
  }

  function feedbackControl(hit) {
    const status = h('span.small.muted', { 'aria-live': 'polite' });
    const mark = async (relevant, button) => {
      try {
        await postJson('search/feedback', { queryLesionId: id, hitLesionId: hit.lesion.id, relevant, token: hit.feedbackToken });
        for (const b of buttons) b.setAttribute('aria-pressed', String(b === button));
        status.textContent = relevant ? 'marked relevant' : 'marked not relevant';
      } catch (err) {
        toast(err.message, 'error');
      }
    };
    const buttons = [
      h(
        'button.btn.small.feedback-yes',
        { type: 'button', title: 'This hit is a relevant answer', 'aria-pressed': 'false', onclick: (e) => mark(true, e.currentTarget) },
        '✓ Relevant',
      ),
      h(
        'button.btn.small.feedback-no',
        { type: 'button', title: 'This hit is not a relevant answer', 'aria-pressed': 'false', onclick: (e) => mark(false, e.currentTarget) },
        '✗ Not relevant',
      ),
    ];
    return h('div.feedback', { role: 'group', 'aria-label': `Relevance of lesion ${hit.lesion.id}` }, ...buttons, status);
  }

  async function loadFollowUps() {
    try {
      const list = await getJson(`lesions/${id}/follow-ups`);
      clear(
        followBox,
        list.length
          ? h(
              'div.grid.small-grid',
              list.map((f) =>
                lesionCard(f.lesion, {
                  extra: [
                    h('div.small', `study ${f.lesion.study.index} · age ${f.lesion.study.ageYears ?? '?'} · match ${fmt.num(f.score, 2)}`),
                    h('div.why.muted', whyLine(f.why)),
                  ],
                }),
              ),
            )
          : h('p.muted', 'No other studies of this patient show a matching lesion.'),
      );
    } catch (err) {
      clear(followBox, errorBox(err));
    }
  }

  async function loadGrowth() {
    try {
      const track = await getJson(`lesions/${id}/track`);
      const prediction = await postJson('growth/predict', { lesionId: id, intervalDays: 90 }).catch(() => null);
      clear(
        growthBox,
        growthPlot(track, prediction),
        h(
          'p.small',
          track.recist ? `RECIST 1.1: ${track.recist}` : (track.note ?? ''),
          track.volumeDoublingTime ? ` · volume doubling time ${fmt.num(track.volumeDoublingTime.days, 0)} days (${track.volumeDoublingTime.model})` : '',
        ),
        h('p.small.muted', track.time.note),
        prediction?.prediction
          ? h(
              'p.small',
              `In 90 days: ${fmt.mm(prediction.prediction.longAxisMm)} (80 %: ${fmt.mm(prediction.prediction.interval80[0])}–${fmt.mm(prediction.prediction.interval80[1])}), from ${prediction.evidence.length} similar lesions' tracks`,
            )
          : null,
        h(
          'div.grid.small-grid.track-points',
          track.points.map((p) =>
            h(
              'div.track-point',
              authImage(`${p.patchUrl}?size=128`, `Lesion ${p.lesionId}, study ${p.studyIndex}`),
              h('div.small', `study ${p.studyIndex}${p.days !== null ? ` · day ${p.days}` : ''} · ${fmt.mm(p.longAxisMm)}${p.recist ? ` · ${p.recist}` : ''}`),
            ),
          ),
        ),
      );
    } catch (err) {
      clear(growthBox, errorBox(err));
    }
  }

  loadImage();
  loadTags();
  loadGrowth();
  loadSimilar();
  loadFollowUps();
}

function metadata(l) {
  const rows = [
    ['Patient', `#${l.patient.index} (${l.dataset}) · ${l.patient.sex ?? '?'}`],
    ['Study', `#${l.study.index} · age ${l.study.ageYears ?? '?'}`],
    [
      'Series',
      `#${l.series.index}${l.series.spacingMm ? ` · ${fmt.num(l.series.spacingMm.x, 2)} × ${fmt.num(l.series.spacingMm.y, 2)}${l.series.spacingMm.z ? ` × ${fmt.num(l.series.spacingMm.z, 1)}` : ''} mm` : ''}`,
    ],
    ['Key slice', `${l.keySliceIndex}${l.series.sliceRange ? ` (of ${l.series.sliceRange.first}–${l.series.sliceRange.last})` : ''}`],
    ['Type', `${l.coarseType.name} (${l.coarseType.code})`],
    ['Long / short axis', `${fmt.mm(l.diameters.longAxisMm)} / ${fmt.mm(l.diameters.shortAxisMm)}`],
    ['Box (px)', `${fmt.num(l.box.x1, 1)}, ${fmt.num(l.box.y1, 1)} – ${fmt.num(l.box.x2, 1)}, ${fmt.num(l.box.y2, 1)}`],
    ['Body location', l.location ? `${fmt.num(l.location.x)}, ${fmt.num(l.location.y)}, ${fmt.num(l.location.z)}` : '–'],
    ['Split', l.split ?? '–'],
    ['DICOM window', l.dicomWindow ? `${l.dicomWindow.low} … ${l.dicomWindow.high} HU` : '–'],
    ['Source', l.sourceFileName],
  ];
  return h(
    'dl.meta',
    rows.flatMap(([k, v]) => [h('dt', k), h('dd', v)]),
  );
}
