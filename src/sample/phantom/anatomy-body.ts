/** The body wall and the musculoskeletal parts of the phantom. */
import type { AnatomyContext } from './anatomy-context';
import { BodyModel, clamp, ellipsoidKeys, lerp, mask, StructureKey } from './geometry';
import { Tissue } from './model';

/** Jest runs tests in a vm context where each global lookup is slow; local copies keep the pixel loops fast there. */
const { PI, atan2, cos, hypot, min, sin, sqrt } = Math;

/** Skin and subcutaneous fat, the muscle wall and the fat of the cavities; returns the body outline keys. */
export function addBodyWall(anatomy: AnatomyContext): StructureKey[] {
  const { body, add, along, tissueHu } = anatomy;
  const outlineKeys = (inset: (o: ReturnType<BodyModel['outline']>) => number, zFrom = 0.06, zTo = 0.98) =>
    along(
      zFrom,
      zTo,
      (zn) => {
        const o = body.outline(zn);
        const d = inset(o);
        return { x: 0, y: 0, rx: o.a - d, ry: o.b - d };
      },
      24,
    );
  const bodyKeys = outlineKeys(() => 0);
  add({ tissue: Tissue.SUBCUTANEOUS_FAT, hu: tissueHu.fat, angle: 0, keys: bodyKeys });
  add({ tissue: Tissue.MUSCLE, hu: tissueHu.muscle, angle: 0, keys: outlineKeys((o) => o.fat) });

  add({ tissue: Tissue.MEDIASTINAL_FAT, hu: tissueHu.mediastinalFat, angle: 0, keys: outlineKeys((o) => o.fat + o.wall, 0.06, 0.4) });
  add({ tissue: Tissue.VISCERAL_FAT, hu: tissueHu.visceralFat, angle: 0, keys: outlineKeys((o) => o.fat + o.wall, 0.4, 0.98) });
  return bodyKeys;
}

/** Erector spinae, psoas and gluteal muscles. */
export function addTrunkMuscles(anatomy: AnatomyContext): void {
  const { body, add, along, inCavity, jitter, tissueHu, canalY, vertebralSize, vertebralY, sacrumTop } = anatomy;
  const erectorSize = { rx: jitter(26), ry: jitter(22) };
  for (const side of [-1, 1]) {
    // Erector spinae either side of the spinous processes.
    add({
      tissue: Tissue.MUSCLE,
      hu: tissueHu.muscle,
      angle: 0,
      keys: along(0.08, 0.7, (zn) => ({ x: side * 30, y: canalY(zn) + 10, ...erectorSize }), 10),
    });
    // Psoas: thickens down the lumbar spine, then moves forwards and outwards into the pelvis.
    add({
      tissue: Tissue.MUSCLE,
      hu: tissueHu.muscle,
      angle: side * 0.25,
      keys: along(0.49, 0.78, (zn, t) => {
        const lumbar = min(zn, sacrumTop);
        const intoPelvis = clamp((zn - 0.64) / 0.12, 0, 1);
        return {
          x: side * (vertebralSize(lumbar).rx + 8 + 16 * t + 14 * intoPelvis),
          y: lerp(vertebralY(lumbar), inCavity(zn, 0, -0.05, 0, 0).y, intoPelvis),
          rx: 8 + 14 * min(1, t * 1.6),
          ry: 8 + 12 * t,
        };
      }),
    });
    // Gluteal muscles.
    add({
      tissue: Tissue.MUSCLE,
      hu: tissueHu.muscle,
      angle: side * -0.35,
      paintsOver: mask(Tissue.MUSCLE, Tissue.VISCERAL_FAT),
      keys: along(0.63, 0.95, (zn, t) => {
        const o = body.outline(zn);
        return { x: side * 0.52 * o.a, y: 0.5 * o.b, rx: (0.3 + 0.1 * t) * o.a, ry: (0.32 + 0.1 * t) * o.b };
      }),
    });
  }
}

/** Vertebral bodies and discs, posterior elements and the spinal canal. */
export function addSpine(anatomy: AnatomyContext): void {
  const { rng, L, zmm, add, along, jitter, canalY, vertebralSize, vertebralY, sacrumTop, bone } = anatomy;
  // Vertebral bodies alternate with discs along z.
  const levelMm = jitter(0.0175 * L, 0.04);
  const discMm = rng.uniform(5, 7);
  for (let top = zmm(0.06) + rng.uniform(0, levelMm); top < zmm(sacrumTop); top += levelMm) {
    const bottom = min(top + levelMm - discMm, zmm(sacrumTop));
    const vertebra = (z: number): StructureKey => {
      const zn = z / L;
      const v = vertebralSize(zn);
      return { z, x: 0, y: vertebralY(zn), rx: v.rx, ry: v.ry };
    };
    add({ ...bone(2.2), angle: 0, keys: [vertebra(top), vertebra(bottom)] });
    if (bottom + discMm <= zmm(sacrumTop)) {
      add({ tissue: Tissue.DISC, hu: rng.uniform(75, 95), angle: 0, keys: [vertebra(bottom + 0.01), vertebra(bottom + discMm - 0.01)] });
    }
  }
  // Posterior elements: laminae ring, spinous and transverse processes, then the canal.
  add({ ...bone(3.5), angle: 0, keys: along(0.06, sacrumTop, (zn) => ({ x: 0, y: canalY(zn), rx: 15, ry: 12 }), 10) });
  add({ ...bone(1.6), angle: 0, keys: along(0.06, sacrumTop, (zn) => ({ x: 0, y: canalY(zn) + 24, rx: 4.5, ry: 13 }), 10) });
  for (const side of [-1, 1]) {
    add({ ...bone(1.6), angle: side * -0.2, keys: along(0.06, sacrumTop, (zn) => ({ x: side * 25, y: canalY(zn) - 3, rx: 13, ry: 5 }), 10) });
  }
  add({ tissue: Tissue.CSF, hu: rng.uniform(5, 15), angle: 0, keys: along(0.06, sacrumTop, (zn) => ({ x: 0, y: canalY(zn), rx: 8.5, ry: 7.5 }), 10) });
}

/** Sternum, ribs and scapulae. */
export function addRibCage(anatomy: AnatomyContext): void {
  const { rng, body, L, zmm, add, along, cavity, tissueHu, bone } = anatomy;
  // Sternum.
  add({
    ...bone(1.8),
    angle: 0,
    keys: along(0.2, 0.38, (zn) => {
      const o = body.outline(zn);
      return { x: 0, y: -(o.b - o.fat - o.wall * 0.55), rx: 15, ry: 6 };
    }),
  });

  // Ribs: oval cross-sections around the rib cage; each rib is seen only where it crosses the slice,
  // so visibility alternates along z and the pattern drifts between neighbouring slices.
  const ribPitchMm = rng.uniform(32, 40);
  const ribPhase = rng.uniform(0, 2 * PI);
  for (const side of [-1, 1]) {
    for (let j = 0; j < 9; j++) {
      const t = 0.4 + (j * 2.3) / 8;
      let runStart: number | null = null;
      for (let z = zmm(0.12); z <= zmm(0.5) + 2; z += 2) {
        const zn = z / L;
        // Lower ribs exist only laterally and posteriorly.
        const present = (zn < 0.4 || t > 1.3) && sin((2 * PI * z) / ribPitchMm + 1.7 * j + side * 0.6 + ribPhase) > -0.25;
        if (present && runStart === null) runStart = z;
        if ((!present || z > zmm(0.5)) && runStart !== null) {
          const z0 = runStart;
          const z1 = z - 2;
          runStart = null;
          if (z1 - z0 < 2) continue;
          const ribAt = (zz: number, dt: number): StructureKey => {
            const c = cavity(zz / L);
            const tt = t + dt;
            return { z: zz, x: side * (c.a + 5) * sin(tt), y: -(c.b + 5) * cos(tt), rx: 7, ry: 4.2 };
          };
          // Tangent direction of the cage ellipse at t.
          const c = cavity(z0 / L);
          const angle = atan2((c.b + 5) * sin(t), side * (c.a + 5) * cos(t));
          add({ ...bone(1.3, tissueHu.marrow * 0.7), angle, keys: [ribAt(z0, 0), ribAt(z1, 0.06)] });
        }
      }
    }
  }
  // Scapulae: thin plates in the posterior chest wall, outside the ribs.
  for (const side of [-1, 1]) {
    add({
      ...bone(1.5),
      // Lateral end forwards, following the curve of the back; clipped to the muscle it lies in.
      angle: -side * 0.35,
      paintsOver: mask(Tissue.MUSCLE),
      keys: along(0.11, 0.27, (zn, t) => {
        const o = body.outline(zn);
        return { x: side * 0.45 * o.a, y: o.b - o.fat - o.wall * 0.5 - 6, rx: 42 * (1 - 0.4 * t), ry: 4.5 };
      }),
    });
  }
}

/** Sacrum, iliac wings, hips and ischia. */
export function addPelvicBones(anatomy: AnatomyContext): void {
  const { rng, body, L, zmm, add, along, cavity, inCavity, vertebralY, sacrumTop, bone } = anatomy;
  // Sacrum, iliac wings, acetabula and femoral heads, ischia.
  const sacrumY = (zn: number) => {
    const o = body.outline(zn);
    return o.b - o.fat - 38;
  };
  add({
    ...bone(2.5),
    angle: 0,
    // S1 continues the L5 body, then the sacrum curves backwards.
    keys: along(sacrumTop, 0.75, (zn, t) => ({ x: 0, y: lerp(vertebralY(sacrumTop), sacrumY(zn), sqrt(t)), rx: lerp(50, 22, t), ry: lerp(20, 12, t) })),
  });
  for (const side of [-1, 1]) {
    // Iliac wing: from the sacroiliac joint (medial, posterior) out to the iliac crest (lateral, anterior).
    const wingEnds = (zn: number, t: number) => {
      const c = cavity(zn);
      return {
        medial: { x: side * lerp(46, 60, t), y: sacrumY(zn) - 6 },
        lateral: { x: side * lerp(0.9, 0.75, t) * c.a, y: lerp(-0.1, 0.05, t) * c.b },
      };
    };
    const mid = wingEnds(0.68, 0.5);
    const wingAngle = atan2(mid.lateral.y - mid.medial.y, mid.lateral.x - mid.medial.x);
    add({
      ...bone(2.2),
      angle: wingAngle,
      keys: along(0.615, 0.745, (zn, t) => {
        const { medial, lateral } = wingEnds(zn, t);
        const half = hypot(lateral.x - medial.x, lateral.y - medial.y) / 2;
        return { x: (medial.x + lateral.x) / 2, y: (medial.y + lateral.y) / 2, rx: half * (t < 0.1 ? 0.7 : 1), ry: 7 + 6 * t };
      }),
    });

    // Hip: acetabulum, a rim of joint space, then the femoral head inside it; ischium below and behind.
    const hipX = (zn: number) => side * 0.62 * cavity(zn).a;
    add({
      ...bone(3),
      angle: 0,
      keys: ellipsoidKeys(zmm(0.79), zmm(0.045), (z, s) => ({ x: hipX(z / L), y: inCavity(z / L, 0, 0.02, 0, 0).y, rx: 33 * s, ry: 33 * s })),
    });
    add({
      tissue: Tissue.MUSCLE,
      hu: rng.uniform(35, 45),
      angle: 0,
      paintsOver: mask(Tissue.BONE_CORTEX, Tissue.BONE_MARROW),
      keys: ellipsoidKeys(zmm(0.79), zmm(0.032), (z, s) => ({ x: hipX(z / L) + side * 4, y: inCavity(z / L, 0, 0.02, 0, 0).y, rx: 26 * s, ry: 26 * s })),
    });
    add({
      ...bone(2.5),
      angle: 0,
      keys: ellipsoidKeys(zmm(0.79), zmm(0.03), (z, s) => ({ x: hipX(z / L) + side * 4, y: inCavity(z / L, 0, 0.02, 0, 0).y, rx: 23 * s, ry: 23 * s })),
    });
    add({ ...bone(2.5), angle: side * 0.3, keys: along(0.8, 0.88, (zn) => ({ ...inCavity(zn, side * 0.38, 0.55, 0, 0), rx: 15, ry: 20 })) });
  }
}
