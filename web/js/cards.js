// Lesion cards (thumbnail + facts) for the result grid, similar lesions, follow-ups and cohort members.
import { authImage, fmt, h } from './dom.js';

export function lesionFacts(l) {
  const sex = l.patient?.sex ?? '?';
  const age = l.study?.ageYears ?? '?';
  return `${l.coarseType?.name ?? 'unknown'} · ${fmt.mm(l.diameters?.longAxisMm)} · ${sex} ${age}y`;
}

/** A clickable card; `extra` adds lines under the facts (similarity, reasons, tags). */
export function lesionCard(l, { window = 'soft', extra = [], size = 160 } = {}) {
  const img = authImage(`/api/v1/lesions/${l.id}/patch.png?window=${encodeURIComponent(window)}&size=${size}`, `Lesion ${l.id}, ${l.coarseType?.name ?? ''}`);
  return h(
    'a.card.lesion-card',
    { href: `#/lesion/${l.id}`, dataset: { lesionId: String(l.id) }, title: `Open lesion ${l.id}` },
    h('div.thumb-frame', img),
    h(
      'div.card-body',
      h('div.card-title', h('span', `#${l.id}`), h('span.muted', ` patient ${l.patient?.index ?? '?'} · study ${l.study?.index ?? '?'}`)),
      h('div.facts', lesionFacts(l)),
      extra,
    ),
  );
}

export function tagChips(tags = [], max = 4) {
  if (!tags.length) return null;
  return h(
    'div.chips',
    tags.slice(0, max).map((t) => h(`span.chip.src-${t.source || 'x'}`, { title: `${t.term}: ${fmt.pct(t.confidence)} (${t.source || ''})` }, t.term)),
    tags.length > max ? h('span.muted.small', `+${tags.length - max}`) : null,
  );
}

/** "why" of a similar hit: same type, size ratio, location distance. */
export function whyLine(why = {}) {
  const parts = [];
  if (why.sameType === true) parts.push('same type');
  else if (why.sameType === false) parts.push('other type');
  if (why.sizeRatio !== null && why.sizeRatio !== undefined) parts.push(`size ×${Number(why.sizeRatio).toFixed(2)}`);
  if (why.locationDistance !== null && why.locationDistance !== undefined) parts.push(`location Δ ${Number(why.locationDistance).toFixed(2)}`);
  return parts.join(' · ');
}

export function hitCard(hit, window) {
  return lesionCard(hit.lesion, {
    window,
    extra: [
      h(
        'div.sim',
        { title: `cosine similarity ${fmt.num(hit.similarity, 4)}, score ${fmt.num(hit.score, 4)}` },
        h('meter', { min: 0, max: 1, value: Math.max(0, hit.similarity) }),
        h('span', fmt.num(hit.similarity, 3)),
      ),
      h('div.why.muted', whyLine(hit.why)),
    ],
  });
}
