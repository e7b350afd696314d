/** What every part of the anatomy is placed with: the body outline, the tissue densities, the spine and aorta courses. */
import { Prng } from '../prng';
import { BodyModel, clamp, Ellipse, ellipsoidKeys, lerp, Structure, StructureKey } from './geometry';
import { Tissue } from './model';

/**
 * The patient's body and the placement helpers every part of the anatomy is drawn with: positions follow
 * the body outline at each level, so organs follow the patient's build. Draws the tissue densities (in this
 * order: the random stream decides the sample's bytes).
 */
export function anatomyContext(rng: Prng, body: BodyModel, age: number, structures: Structure[]) {
  const L = body.lengthMm;
  const zmm = (zn: number) => zn * L;
  const add = (s: Structure) => {
    if (s.keys.length >= 2) structures.push(s);
  };
  /** Keys sampled along a normalised-z range, placed by a function of the body outline at that level. */
  const along = (zFrom: number, zTo: number, place: (zn: number, t: number) => Ellipse | null, samples = 8): StructureKey[] => {
    const keys: StructureKey[] = [];
    for (let i = 0; i < samples; i++) {
      const t = i / (samples - 1);
      const zn = lerp(zFrom, zTo, t);
      const e = place(zn, t);
      if (e) keys.push({ z: zmm(zn), ...e });
    }
    return keys;
  };
  const cavity = (zn: number) => {
    const o = body.outline(zn);
    return { a: o.a - o.fat - o.wall, b: o.b - o.fat - o.wall };
  };
  /** A structure placed by fractions of the body cavity (so organs follow the patient's build). */
  const inCavity = (zn: number, fx: number, fy: number, frx: number, fry: number): Ellipse => {
    const c = cavity(zn);
    return { x: fx * c.a, y: fy * c.b, rx: frx * c.a, ry: fry * c.b };
  };
  const organEllipsoid = (znCenter: number, znHalf: number, fx: number, fy: number, frx: number, fry: number) =>
    ellipsoidKeys(zmm(znCenter), zmm(znHalf), (z, scale) => {
      const e = inCavity(z / L, fx, fy, frx, fry);
      return { x: e.x, y: e.y, rx: e.rx * scale, ry: e.ry * scale };
    });

  const jitter = (v: number, rel = 0.05) => v * rng.uniform(1 - rel, 1 + rel);
  const tissueHu = {
    fat: rng.uniform(-108, -92),
    muscle: rng.uniform(40, 50),
    visceralFat: rng.uniform(-100, -88),
    mediastinalFat: rng.uniform(-90, -75),
    lung: rng.uniform(-870, -830),
    liver: rng.uniform(55, 61),
    spleen: rng.uniform(43, 48),
    kidney: rng.uniform(28, 34),
    // Bone density falls with age: cancellous ~400 HU at 20, ~250 at 85.
    marrow: clamp(420 - (age - 18) * 2.4 + rng.uniform(-20, 20), 250, 400),
    cortex: clamp(980 - (age - 18) * 3 + rng.uniform(-40, 40), 700, 1000),
  };

  // The spine: the canal is placed from the back, the vertebral body in front of it.
  const canalY = (zn: number) => {
    const o = body.outline(zn);
    return o.b - o.fat - lerp(34, 46, clamp((zn - 0.2) / 0.4, 0, 1));
  };
  const vertebralSize = (zn: number) => {
    const t = clamp((zn - 0.12) / 0.5, 0, 1);
    return { rx: lerp(15, 24, t), ry: lerp(12, 17, t) };
  };
  const vertebralY = (zn: number) => canalY(zn) - 9 - vertebralSize(zn).ry;
  const sacrumTop = 0.635;

  const bone = (insetMm: number, marrowHu = tissueHu.marrow): Pick<Structure, 'tissue' | 'hu' | 'core'> => ({
    tissue: Tissue.BONE_CORTEX,
    hu: tissueHu.cortex,
    core: { insetMm, tissue: Tissue.BONE_MARROW, hu: marrowHu },
  });
  const aortaY = (zn: number) => vertebralY(zn) - lerp(4, vertebralSize(zn).ry + 12, clamp((zn - 0.3) / 0.2, 0, 1));
  const aortaX = (zn: number) => lerp(vertebralSize(zn).rx + 8, 8, clamp((zn - 0.3) / 0.2, 0, 1));
  return {
    rng,
    body,
    L,
    zmm,
    add,
    along,
    cavity,
    inCavity,
    organEllipsoid,
    jitter,
    tissueHu,
    canalY,
    vertebralSize,
    vertebralY,
    sacrumTop,
    bone,
    aortaX,
    aortaY,
  };
}

export type AnatomyContext = ReturnType<typeof anatomyContext>;

/** Blood pools the vessels are filled with: arterial and venous density and enhancement. */
export interface BloodPools {
  blood: { hu: number; contrastHu: number };
  venous: { hu: number; contrastHu: number };
}
