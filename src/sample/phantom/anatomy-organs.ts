/** The organs and vessels of the chest, abdomen and pelvis. */
import type { AnatomyContext, BloodPools } from './anatomy-context';
import { CAVITY_FILL, clamp, Ellipse, ellipsoidKeys, lerp, mask, ORGAN_SPACE, sectionAt, StructureCore, StructureKey } from './geometry';
import { Tissue } from './model';

/** Jest runs tests in a vm context where each global lookup is slow; local copies keep the pixel loops fast there. */
const { PI, atan2, cos, hypot, min, sin, sqrt } = Math;

/** Lungs and pulmonary vessels. */
export function addLungs(anatomy: AnatomyContext): void {
  const { rng, zmm, add, inCavity, jitter, tissueHu } = anatomy;
  const lungProfile: Array<[number, number, number]> = [
    // zn, size scale, posterior shift (fraction of cavity b)
    [0.12, 0.3, 0.05],
    [0.18, 0.62, 0.02],
    [0.25, 0.85, 0.02],
    [0.32, 0.95, 0.05],
    [0.37, 1.0, 0.1],
    [0.4, 0.78, 0.28],
    [0.43, 0.35, 0.45],
  ];
  const lungSize = { rx: jitter(0.5), ry: jitter(0.92) };
  const lungKeysBySide = new Map<number, StructureKey[]>();
  for (const side of [-1, 1]) {
    const keys = lungProfile.map(([zn, s, shift]) => ({
      z: zmm(zn),
      ...inCavity(zn, side * 0.5, shift, lungSize.rx * s, lungSize.ry * s),
    }));
    lungKeysBySide.set(side, keys);
    add({ tissue: Tissue.LUNG, hu: tissueHu.lung, angle: 0, paintsOver: CAVITY_FILL, keys });
  }
  // Pulmonary vessels: short tubes whose position is fixed relative to the lung; thicker near the hilum.
  for (const side of [-1, 1]) {
    const lungKeys = lungKeysBySide.get(side)!;
    for (let k = 0; k < 170; k++) {
      const zn0 = rng.uniform(0.12, 0.42);
      const lengthMm = rng.uniform(25, 90);
      const z0 = zmm(zn0);
      const z1 = min(z0 + lengthMm, lungKeys[lungKeys.length - 1].z);
      const radius = sqrt(rng.next()) * 0.95;
      const theta = rng.uniform(0, 2 * PI);
      const u0 = radius * cos(theta);
      const v0 = radius * sin(theta);
      const u1 = clamp(u0 + rng.uniform(-0.15, 0.15), -1, 1);
      const v1 = clamp(v0 + rng.uniform(-0.15, 0.15), -1, 1);
      // The hilum is medial (towards x = 0) and mid-chest.
      const hilumDistance = hypot(u0 + side * 0.7, v0 + 0.1) / 1.9;
      const r = 1 + 3.2 * (1 - clamp(hilumDistance, 0, 1)) ** 2;
      const keyAt = (z: number, u: number, v: number): StructureKey | null => {
        const lung = sectionAt(lungKeys, z);
        return lung ? { z, x: lung.x + u * lung.rx, y: lung.y + v * lung.ry, rx: r, ry: r } : null;
      };
      const a = keyAt(z0, u0, v0);
      const b = keyAt(z1, u1, v1);
      if (a && b && z1 > z0)
        add({ tissue: Tissue.LUNG_VESSEL, hu: rng.uniform(30, 50), contrastHu: 60, angle: 0, paintsOver: mask(Tissue.LUNG), keys: [a, b] });
    }
  }
}

/** Mediastinal fat, heart, great vessels, airways and oesophagus; returns the blood pools the other vessels share. */
export function addMediastinum(anatomy: AnatomyContext): BloodPools {
  const { rng, L, zmm, add, along, inCavity, tissueHu, vertebralSize, vertebralY, aortaX, aortaY } = anatomy;
  // Mediastinum: fat between the lungs, in which the heart, vessels and airways lie.
  add({
    tissue: Tissue.MEDIASTINAL_FAT,
    hu: tissueHu.mediastinalFat,
    angle: 0,
    paintsOver: mask(Tissue.LUNG, Tissue.LUNG_VESSEL, Tissue.MEDIASTINAL_FAT),
    keys: along(0.08, 0.41, (zn) => inCavity(zn, 0.03, -0.05, 0.22, 0.88), 8),
  });
  const blood = { hu: rng.uniform(38, 45), contrastHu: 110 };
  const venous = { hu: rng.uniform(36, 44), contrastHu: 70 };
  // Heart: myocardium around blood.
  add({
    tissue: Tissue.HEART,
    hu: rng.uniform(42, 50),
    angle: -0.5,
    paintsOver: ORGAN_SPACE,
    keys: ellipsoidKeys(zmm(0.356), zmm(0.055), (z, s) => {
      const e = inCavity(z / L, 0.16, -0.28, 0.42, 0.5);
      return { ...e, rx: e.rx * s, ry: e.ry * s };
    }),
    core: { insetMm: 8, tissue: Tissue.HEART, ...blood },
  });
  // Ascending aorta.
  add({
    tissue: Tissue.VESSEL,
    ...blood,
    angle: 0,
    paintsOver: ORGAN_SPACE,
    keys: along(0.265, 0.34, (zn) => ({ ...inCavity(zn, 0.05, -0.38, 0, 0), rx: 15, ry: 15 }), 3),
  });
  {
    // Aortic arch: joins the ascending and descending aorta.
    const asc = inCavity(0.258, 0.05, -0.38, 0, 0);
    const desc = { x: aortaX(0.258), y: aortaY(0.258) };
    const half = hypot(desc.x - asc.x, desc.y - asc.y) / 2 + 12;
    const angle = atan2(desc.y - asc.y, desc.x - asc.x);
    const mid = { x: (asc.x + desc.x) / 2, y: (asc.y + desc.y) / 2 };
    add({ tissue: Tissue.VESSEL, ...blood, angle, paintsOver: ORGAN_SPACE, keys: [0.25, 0.266].map((zn) => ({ z: zmm(zn), ...mid, rx: half, ry: 13 })) });
  }
  // Pulmonary trunk, then the right and left pulmonary arteries running out to the hila.
  add({
    tissue: Tissue.VESSEL,
    ...blood,
    angle: 0,
    paintsOver: ORGAN_SPACE,
    keys: along(0.288, 0.318, (zn) => ({ ...inCavity(zn, 0.16, -0.32, 0, 0), rx: 14, ry: 14 }), 3),
  });
  for (const side of [-1, 1]) {
    add({
      tissue: Tissue.VESSEL,
      ...blood,
      angle: side * 0.3,
      paintsOver: ORGAN_SPACE,
      keys: along(0.3, 0.316, (zn) => ({ ...inCavity(zn, side * 0.22, -0.12, 0.17, 0), ry: 9 }), 3),
    });
  }
  // Superior vena cava.
  add({
    tissue: Tissue.VESSEL,
    ...venous,
    angle: 0,
    paintsOver: ORGAN_SPACE,
    keys: along(0.2, 0.31, (zn) => ({ ...inCavity(zn, -0.14, -0.33, 0, 0), rx: 10, ry: 10 }), 3),
  });
  // Trachea (wall around air), then the main bronchi.
  add({
    tissue: Tissue.AIRWAY,
    hu: rng.uniform(35, 45),
    angle: 0,
    paintsOver: ORGAN_SPACE,
    keys: along(0.06, 0.29, (zn, t) => ({ ...inCavity(zn, 0, lerp(-0.45, -0.12, t), 0, 0), rx: 9.5, ry: 9 })),
    core: { insetMm: 2, tissue: Tissue.AIRWAY, hu: -1000 },
  });
  for (const side of [-1, 1]) {
    add({
      tissue: Tissue.AIRWAY,
      hu: 40,
      angle: 0,
      paintsOver: ORGAN_SPACE,
      keys: along(0.289, 0.315, (zn, t) => ({ ...inCavity(zn, side * lerp(0.04, 0.22, t), lerp(-0.12, -0.04, t), 0, 0), rx: 6.5, ry: 6.5 }), 4),
      core: { insetMm: 1.5, tissue: Tissue.AIRWAY, hu: -1000 },
    });
  }
  // Oesophagus, collapsed, in front of the spine.
  add({
    tissue: Tissue.BOWEL,
    hu: 40,
    angle: 0,
    paintsOver: ORGAN_SPACE,
    keys: along(0.08, 0.4, (zn, t) => ({ x: lerp(-4, 12, t), y: vertebralY(zn) - vertebralSize(zn).ry - 7, rx: 8, ry: 6 })),
  });
  return { blood, venous };
}

/** Liver with its vessels, gallbladder, spleen, stomach and pancreas. */
export function addUpperAbdomen(anatomy: AnatomyContext, { venous }: BloodPools): void {
  const { rng, L, zmm, add, inCavity, organEllipsoid, jitter, tissueHu } = anatomy;
  const liverScale = jitter(1, 0.07);
  const liverKeys: StructureKey[] = (
    [
      // zn, fx, fy, frx, fry
      [0.385, -0.32, -0.1, 0.3, 0.42],
      [0.41, -0.28, -0.05, 0.6, 0.8],
      [0.45, -0.3, 0, 0.64, 0.84],
      [0.49, -0.45, 0.08, 0.45, 0.7],
      [0.53, -0.56, 0.12, 0.3, 0.48],
      [0.56, -0.6, 0.12, 0.12, 0.2],
    ] as const
  ).map(([zn, fx, fy, frx, fry]) => ({ z: zmm(zn), ...inCavity(zn, fx, fy, frx * liverScale, fry * liverScale) }));
  add({ tissue: Tissue.LIVER, hu: tissueHu.liver, contrastHu: 4, angle: 0.25, paintsOver: ORGAN_SPACE, keys: liverKeys });
  // Left lobe, reaching across the midline in front of the stomach.
  add({
    tissue: Tissue.LIVER,
    hu: tissueHu.liver,
    contrastHu: 4,
    angle: -0.15,
    paintsOver: ORGAN_SPACE,
    keys: organEllipsoid(0.435, 0.035, 0.12, -0.55, 0.38, 0.3),
  });
  // Hepatic veins and portal branches.
  for (let k = 0; k < 6; k++) {
    const u0 = rng.uniform(-0.6, 0.6);
    const v0 = rng.uniform(-0.6, 0.6);
    const zn0 = rng.uniform(0.4, 0.47);
    const z0 = zmm(zn0);
    const z1 = z0 + rng.uniform(20, 50);
    const r = rng.uniform(2.5, 5);
    const at = (z: number, du: number): StructureKey | null => {
      const liver = sectionAt(liverKeys, z);
      return liver ? { z, x: liver.x + (u0 + du) * liver.rx, y: liver.y + v0 * liver.ry, rx: r, ry: r } : null;
    };
    const a = at(z0, 0);
    const b = at(z1, 0.15);
    if (a && b) add({ tissue: Tissue.VESSEL, ...venous, angle: 0, paintsOver: mask(Tissue.LIVER), keys: [a, b] });
  }
  add({
    tissue: Tissue.GALLBLADDER,
    hu: rng.uniform(4, 14),
    angle: 0.4,
    paintsOver: mask(Tissue.LIVER, Tissue.VISCERAL_FAT),
    keys: ellipsoidKeys(zmm(0.49), zmm(0.025), (z, s) => ({ ...inCavity(z / L, -0.26, -0.42, 0, 0), rx: 14 * s, ry: 22 * s })),
  });
  add({
    tissue: Tissue.SPLEEN,
    hu: tissueHu.spleen,
    contrastHu: 10,
    angle: -0.6,
    paintsOver: ORGAN_SPACE,
    keys: organEllipsoid(0.45, 0.05, 0.6, 0.32, jitter(0.22), jitter(0.42)),
  });
  add({
    tissue: Tissue.STOMACH,
    hu: 40,
    angle: 0.3,
    paintsOver: ORGAN_SPACE,
    keys: organEllipsoid(0.435, 0.045, 0.3, -0.35, 0.3, 0.36),
    core: { insetMm: 4, tissue: Tissue.STOMACH, hu: rng.uniform(8, 22) },
  });
  // Gas cap in the front of the stomach, present in most studies.
  add({
    tissue: Tissue.STOMACH,
    hu: -1000,
    angle: 0.3,
    paintsOver: mask(Tissue.STOMACH),
    presenceChance: 0.8,
    keys: organEllipsoid(0.43, 0.035, 0.3, -0.58, 0.24, 0.16),
  });
  add({
    tissue: Tissue.PANCREAS,
    hu: rng.uniform(38, 48),
    contrastHu: 15,
    angle: -0.25,
    paintsOver: ORGAN_SPACE,
    keys: organEllipsoid(0.47, 0.02, 0.08, 0.02, 0.38, 0.1),
  });
}

/** Kidneys, abdominal aorta, inferior vena cava and iliac vessels. */
export function addRetroperitoneum(anatomy: AnatomyContext, { blood, venous }: BloodPools): void {
  const { rng, L, zmm, add, along, cavity, inCavity, tissueHu, vertebralSize, vertebralY, sacrumTop, aortaX, aortaY } = anatomy;
  for (const side of [-1, 1]) {
    const zc = side > 0 ? 0.51 : 0.52;
    const kidneyAt = (z: number, s: number, dxMm = 0, scale = 1): Ellipse => {
      const zn = z / L;
      const v = vertebralSize(min(zn, sacrumTop));
      return { x: side * (v.rx + 42 - dxMm), y: vertebralY(min(zn, sacrumTop)) + 2 - dxMm * 0.5, rx: 27 * s * scale, ry: 20 * s * scale };
    };
    // Kidney about 11 cm long; the renal sinus (fat) sits towards its medial hilum.
    add({
      tissue: Tissue.KIDNEY,
      hu: tissueHu.kidney,
      contrastHu: 20,
      angle: side * -0.7,
      paintsOver: ORGAN_SPACE,
      keys: ellipsoidKeys(zmm(zc), 55, (z, s) => kidneyAt(z, s)),
    });
    add({
      tissue: Tissue.RENAL_SINUS,
      hu: rng.uniform(-50, -25),
      angle: side * -0.7,
      paintsOver: mask(Tissue.KIDNEY),
      keys: ellipsoidKeys(zmm(zc), 30, (z, s) => kidneyAt(z, s, 10, 0.42)),
    });
  }
  // Descending and abdominal aorta, after the solid organs so that none of them covers it.
  add({
    tissue: Tissue.VESSEL,
    ...blood,
    angle: 0,
    paintsOver: ORGAN_SPACE,
    keys: along(0.255, 0.6, (zn) => ({ x: aortaX(zn), y: aortaY(zn), rx: lerp(12.5, 10, (zn - 0.25) / 0.35), ry: lerp(12.5, 10, (zn - 0.25) / 0.35) }), 10),
  });
  // Inferior vena cava, right of the spine.
  add({
    tissue: Tissue.VESSEL,
    ...venous,
    angle: 0,
    paintsOver: ORGAN_SPACE,
    keys: along(0.38, 0.61, (zn) => ({ x: -(vertebralSize(zn).rx + 6), y: vertebralY(zn) - vertebralSize(zn).ry - 8, rx: 11, ry: 10 }), 6),
  });
  // Common and external iliac arteries and veins, from the bifurcation to the pelvic side walls.
  for (const side of [-1, 1]) {
    const iliac = (zn: number, t: number) => ({ x: side * lerp(8, 0.36 * cavity(zn).a, t), y: lerp(aortaY(0.6), inCavity(zn, 0, 0.05, 0, 0).y, t) });
    add({ tissue: Tissue.VESSEL, ...blood, angle: 0, paintsOver: ORGAN_SPACE, keys: along(0.6, 0.8, (zn, t) => ({ ...iliac(zn, t), rx: 6.5, ry: 6.5 }), 6) });
    add({
      tissue: Tissue.VESSEL,
      ...venous,
      angle: 0,
      paintsOver: ORGAN_SPACE,
      keys: along(0.61, 0.8, (zn, t) => ({ x: iliac(zn, t).x - side * 4, y: iliac(zn, t).y + 13, rx: 8, ry: 7.5 }), 6),
    });
  }
}

/** Colon, small-bowel loops, bladder and the uterus or prostate. */
export function addBowelAndPelvis(anatomy: AnatomyContext, gender: 'M' | 'F'): void {
  const { rng, L, zmm, add, along, inCavity, organEllipsoid, jitter } = anatomy;
  const bowel = (gasChance: number, insetMm = 2.2): StructureCore => ({ insetMm, tissue: Tissue.BOWEL, hu: rng.uniform(10, 25), gasChance });
  const colon = (keys: StructureKey[]) => add({ tissue: Tissue.BOWEL, hu: 40, angle: 0, paintsOver: CAVITY_FILL, keys, core: bowel(0.7, 2.5) });
  colon(along(0.5, 0.66, (zn) => ({ ...inCavity(zn, -0.72, 0.02, 0, 0), rx: 18, ry: 17 }), 4)); // ascending
  colon(along(0.45, 0.66, (zn) => ({ ...inCavity(zn, 0.74, 0.15, 0, 0), rx: 15, ry: 14 }), 4)); // descending
  colon(along(0.5, 0.53, (zn) => inCavity(zn, 0, -0.55, 0.6, 0.15), 3)); // transverse
  colon(along(0.66, 0.86, (zn, t) => ({ ...inCavity(zn, lerp(0.2, 0, t), lerp(0.35, 0.55, t), 0, 0), rx: 17, ry: 16 }), 5)); // sigmoid and rectum
  // Small-bowel loops fill the remaining visceral fat of the lower abdomen and pelvis.
  for (let k = 0; k < 320; k++) {
    const zc = rng.uniform(0.47, 0.78);
    const u = rng.uniform(-0.78, 0.78);
    const v = rng.uniform(-0.9, 0.45);
    const r = rng.uniform(9, 17);
    const flattening = rng.uniform(0.65, 1);
    add({
      tissue: Tissue.BOWEL,
      hu: 40,
      angle: rng.uniform(0, PI),
      paintsOver: mask(Tissue.VISCERAL_FAT),
      keys: ellipsoidKeys(zmm(zc), rng.uniform(14, 32), (z, s) => ({ ...inCavity(z / L, u, v, 0, 0), rx: r * s, ry: r * flattening * s }), 5),
      core: bowel(0.3, 2),
    });
  }
  // Bladder (urine), then the uterus or the prostate.
  add({
    tissue: Tissue.BLADDER,
    hu: rng.uniform(0, 10),
    angle: 0,
    paintsOver: ORGAN_SPACE,
    keys: organEllipsoid(0.78, 0.05, 0, -0.45, jitter(0.3), jitter(0.36)),
  });
  if (gender === 'F') {
    add({
      tissue: Tissue.PELVIC_ORGAN,
      hu: rng.uniform(40, 55),
      angle: 0,
      paintsOver: ORGAN_SPACE,
      keys: ellipsoidKeys(zmm(0.755), zmm(0.035), (z, s) => ({ ...inCavity(z / L, 0, -0.02, 0, 0), rx: 32 * s, ry: 22 * s })),
    });
  } else {
    add({
      tissue: Tissue.PELVIC_ORGAN,
      hu: rng.uniform(35, 45),
      angle: 0,
      paintsOver: ORGAN_SPACE,
      keys: ellipsoidKeys(zmm(0.835), zmm(0.02), (z, s) => ({ ...inCavity(z / L, 0, 0.05, 0, 0), rx: 22 * s, ry: 18 * s })),
    });
  }
}
