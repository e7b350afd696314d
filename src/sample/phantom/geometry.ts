/** Patient anatomy as data: soft-edged elliptic structures whose cross-sections vary along z, and the body model they are placed in. */
import { Prng } from '../prng';
import { Tissue } from './model';

/** Jest runs tests in a vm context where each global lookup is slow; local copies keep the pixel loops fast there. */
const { max, sqrt } = Math;

/** A cross-section of a structure at some z: an ellipse in body-centred mm. */
export interface Ellipse {
  x: number;
  y: number;
  rx: number;
  ry: number;
}

export interface StructureKey extends Ellipse {
  z: number;
}

export interface StructureCore {
  /** The core is the structure shrunk by this many mm (bone cortex around marrow, bowel wall around content). */
  insetMm: number;
  tissue: Tissue;
  hu: number;
  /** HU added at full contrast (enhancing blood). */
  contrastHu?: number;
  /** Bowel content: gas with this probability per study, fluid otherwise. */
  gasChance?: number;
}

export interface Structure {
  tissue: Tissue;
  hu: number;
  contrastHu?: number;
  /** Radians; the whole structure keeps one orientation. */
  angle: number;
  /** Sorted by z; the structure exists only between the first and last key. */
  keys: StructureKey[];
  /** Bitmask of tissues this structure may paint over; undefined = any. */
  paintsOver?: number;
  core?: StructureCore;
  /** Gas pockets (stomach): present in a study with this probability. */
  presenceChance?: number;
}

export interface PatientAnatomy {
  patientIndex: number;
  bodyLengthMm: number;
  /** Body outline semi-axes along z (mm), for normalised locations and pixel spacing. */
  bodyKeys: StructureKey[];
  structures: Structure[];
}

export const mask = (...tissues: Tissue[]): number => tissues.reduce<number>((bits, t) => bits | (1 << t), 0);

/** Where organs may paint: inside the body cavity, never over the wall, bone or spinal canal. */
export const ORGAN_SPACE = ~mask(Tissue.AIR, Tissue.SUBCUTANEOUS_FAT, Tissue.MUSCLE, Tissue.BONE_CORTEX, Tissue.BONE_MARROW, Tissue.DISC, Tissue.CSF);
export const CAVITY_FILL = mask(Tissue.MEDIASTINAL_FAT, Tissue.VISCERAL_FAT);

export function lerp(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

export function sectionAt(keys: readonly StructureKey[], z: number): Ellipse | null {
  if (keys.length === 0 || z < keys[0].z || z > keys[keys.length - 1].z) return null;
  for (let i = 1; i < keys.length; i++) {
    const k0 = keys[i - 1];
    const k1 = keys[i];
    if (z <= k1.z) {
      const t = k1.z === k0.z ? 1 : (z - k0.z) / (k1.z - k0.z);
      return { x: lerp(k0.x, k1.x, t), y: lerp(k0.y, k1.y, t), rx: lerp(k0.rx, k1.rx, t), ry: lerp(k0.ry, k1.ry, t) };
    }
  }
  return { ...keys[0] };
}

/** Keys of an ellipsoid (centre zc, half-length rz), sampled so its cross-section shrinks smoothly to the poles. */
export function ellipsoidKeys(zc: number, rz: number, at: (z: number, scale: number) => Ellipse, samples = 9): StructureKey[] {
  const keys: StructureKey[] = [];
  for (let i = 0; i < samples; i++) {
    const t = -1 + (2 * i) / (samples - 1);
    const z = zc + t * rz;
    // Poles at 15% rather than 0 so that the ends are not needle points.
    const scale = max(0.15, sqrt(max(0, 1 - t * t)));
    keys.push({ z, ...at(z, scale) });
  }
  return keys;
}

/** Patient-level body measurements, from which every organ position is derived. */
export interface BodyModel {
  lengthMm: number;
  /** Normalised z → outline semi-axes and layer thicknesses (mm). */
  outline(zn: number): { a: number; b: number; fat: number; wall: number };
}

export function makeBodyModel(rng: Prng, gender: 'M' | 'F'): BodyModel {
  const male = gender === 'M';
  const lengthMm = male ? rng.uniform(1650, 1850) : rng.uniform(1520, 1720);
  const chestA = rng.uniform(138, 162) + (male ? 6 : 0);
  const chestB = rng.uniform(92, 112) + (male ? 4 : 0);
  const abdomen = { a: chestA * rng.uniform(0.94, 1.06), b: chestB * rng.uniform(0.98, 1.18) };
  const pelvis = { a: chestA * rng.uniform(1.0, 1.06) + (male ? 0 : 8), b: chestB * rng.uniform(0.92, 1.04) };
  const fat = rng.uniform(9, 24) + (male ? 0 : 6);
  // Piecewise-linear profile from the lung apices to the thighs.
  const profile: Array<[number, number, number, number, number]> = [
    // zn, a, b, fat, wall
    [0.08, chestA * 0.86, chestB * 0.92, fat * 0.7, 18],
    [0.22, chestA, chestB, fat * 0.8, 17],
    [0.34, chestA, chestB * 1.02, fat * 0.85, 16],
    [0.44, lerp(chestA, abdomen.a, 0.6), lerp(chestB, abdomen.b, 0.6), fat, 12],
    [0.54, abdomen.a, abdomen.b, fat * 1.15, 11],
    [0.64, lerp(abdomen.a, pelvis.a, 0.6), lerp(abdomen.b, pelvis.b, 0.6), fat * 1.2, 11],
    [0.74, pelvis.a, pelvis.b, fat * 1.25, 12],
    [0.88, pelvis.a * 0.98, pelvis.b * 0.96, fat * 1.2, 12],
    [0.97, pelvis.a * 0.9, pelvis.b * 0.9, fat * 1.1, 12],
  ];
  return {
    lengthMm,
    outline(zn: number) {
      const z = clamp(zn, profile[0][0], profile[profile.length - 1][0]);
      let i = 1;
      while (i < profile.length - 1 && z > profile[i][0]) i++;
      const p0 = profile[i - 1];
      const p1 = profile[i];
      const t = (z - p0[0]) / (p1[0] - p0[0]);
      return { a: lerp(p0[1], p1[1], t), b: lerp(p0[2], p1[2], t), fat: lerp(p0[3], p1[3], t), wall: lerp(p0[4], p1[4], t) };
    },
  };
}
