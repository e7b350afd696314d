import { SampleCase } from './phantom';

/**
 * A radiology-style sentence for a synthetic lesion, written from what the phantom drew (its kind,
 * density and size), so the built-in sample has report text to mine and labels to learn tags from.
 * Deterministic: the wording varies with the case's position, not with a random draw.
 */
export function phantomReport(c: Pick<SampleCase, 'lesionKind' | 'lesionHu' | 'lesionDiameters' | 'spacing' | 'normalizedLocation'>, index: number): string {
  const mm = Math.round(c.lesionDiameters[0] * c.spacing[0]);
  const size = `${mm} mm`;
  const side = c.normalizedLocation[0] < 0.5 ? 'right' : 'left';
  const pick = <T>(options: T[]): T => options[index % options.length];
  switch (c.lesionKind) {
    case 'liver cyst':
      return pick([
        `${size} hypodense liver cyst, no enhancement.`,
        `Simple cyst in the liver, ${size}, hypoattenuating.`,
        `Well-circumscribed hypodense hepatic cyst (${size}).`,
      ]);
    case 'liver metastasis':
      return pick([
        `${size} rim enhancing liver lesion, likely metastasis.`,
        `Hypodense hepatic mass with enhancing rim, consistent with metastasis, ${size}.`,
        `Liver metastasis, ${size}, heterogeneous; not a cyst.`,
      ]);
    case 'lytic bone lesion':
      return pick([`Lytic bone lesion, ${size}.`, `${size} lytic lesion of the bone, possibly metastasis.`]);
    case 'sclerotic bone lesion':
      return pick([`Sclerotic bone lesion, ${size}.`, `${size} dense sclerotic osseous lesion, likely metastasis.`]);
    case 'abdominal mass':
      return pick([`${size} enhancing abdominal mass.`, `Large heterogeneous mass in the abdomen (${size}).`]);
    case 'abdominal lymph node':
      return pick([`Enlarged retroperitoneal lymph node, ${size}.`, `${size} enlarged abdominal lymph node.`]);
    case 'mediastinal lymph node':
      return pick([`Enlarged mediastinal lymph node, ${size}.`, `${size} mediastinal lymphadenopathy.`]);
    case 'lung nodule':
      return pick([`${size} ${side} lung nodule, noncalcified.`, `Solid pulmonary nodule in the ${side} lung, ${size}.`]);
    case 'lung mass':
      return pick([`${size} ${side} lung mass, spiculated.`, `Large mass in the ${side} lung, ${size}, possibly primary malignancy.`]);
    case 'renal cyst':
      return pick([`${size} hypodense renal cyst.`, `Simple cyst of the ${side} kidney, ${size}, no enhancement.`]);
    case 'renal mass':
      return pick([`${size} solid enhancing renal mass.`, `Enhancing mass in the ${side} kidney, ${size}; not a cyst.`]);
    case 'soft-tissue mass':
      return pick([`${size} soft tissue mass.`, `Soft-tissue mass, ${size}, well-circumscribed.`]);
    case 'pelvic mass':
      return pick([`${size} pelvic mass.`, `Heterogeneous mass in the pelvis, ${size}.`]);
    case 'pelvic lymph node':
      return pick([`Enlarged pelvic lymph node, ${size}.`, `${size} enlarged iliac lymph node.`]);
    default:
      return `${size} lesion.`;
  }
}
