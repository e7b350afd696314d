/**
 * Curator decisions as constraints on links between lesions of one patient. A link joins a lesion
 * (`from`, earlier study) to the next point of its track (`to`, later study).
 *   must:   from → to are consecutive points of one track
 *   cannot: from → to are never consecutive points (a split)
 *   alone:  the lesion belongs to no track (unlinked)
 */
export type ConstraintKind = 'must' | 'cannot' | 'alone';

export interface LinkConstraint {
  kind: ConstraintKind;
  from: number;
  /** null for 'alone'. */
  to: number | null;
  /** The stored decision this came from (for 409 messages); null for one not stored yet. */
  decisionId: number | null;
}

/** A contradiction between a proposed constraint and one already in force. */
export interface ConstraintConflict {
  proposed: LinkConstraint;
  existing: LinkConstraint;
  reason: string;
}

const describe = (c: LinkConstraint): string =>
  c.kind === 'alone' ? `lesion ${c.from} unlinked` : `${c.kind === 'must' ? 'link' : 'no link'} ${c.from} → ${c.to}`;

/** The first contradiction of `proposed` with `existing` (and among themselves), or null. */
export function findConflict(existing: readonly LinkConstraint[], proposed: readonly LinkConstraint[]): ConstraintConflict | null {
  const all = [...existing];
  for (const p of proposed) {
    for (const e of all) {
      const reason = contradiction(e, p);
      if (reason)
        return {
          proposed: p,
          existing: e,
          reason: `${reason}: ${describe(p)} contradicts ${e.decisionId !== null ? `decision ${e.decisionId} ` : ''}(${describe(e)})`,
        };
    }
    all.push(p);
  }
  return null;
}

function contradiction(e: LinkConstraint, p: LinkConstraint): string | null {
  const touches = (c: LinkConstraint, id: number) => c.from === id || c.to === id;
  if (p.kind === 'alone' && e.kind === 'must' && touches(e, p.from)) return 'the lesion is confirmed in a track';
  if (e.kind === 'alone' && p.kind === 'must' && touches(p, e.from)) return 'the lesion was unlinked';
  if (p.kind !== 'alone' && e.kind !== 'alone' && p.from === e.from && p.to === e.to && p.kind !== e.kind) return 'the same link was decided the other way';
  if (p.kind === 'must' && e.kind === 'must') {
    if (p.from === e.from && p.to !== e.to) return 'a lesion can have one next point only';
    if (p.to === e.to && p.from !== e.from) return 'a lesion can have one previous point only';
  }
  return null;
}
