/** Builds one patient's 3-D phantom from the body model, part by part (anatomy-body.ts, anatomy-organs.ts). */
import { Prng } from '../prng';
import { addBodyWall, addPelvicBones, addRibCage, addSpine, addTrunkMuscles } from './anatomy-body';
import { anatomyContext } from './anatomy-context';
import { addBowelAndPelvis, addLungs, addMediastinum, addRetroperitoneum, addUpperAbdomen } from './anatomy-organs';
import { makeBodyModel, PatientAnatomy, Structure } from './geometry';

/** Builds the 3-D phantom of one patient. Drawn once per patient so that follow-up studies match. */
export function buildPatientAnatomy(rng: Prng, patientIndex: number, gender: 'M' | 'F', age: number): PatientAnatomy {
  const body = makeBodyModel(rng, gender);
  const structures: Structure[] = [];
  // The parts in a fixed order: each draws from the same random stream.
  const anatomy = anatomyContext(rng, body, age, structures);
  const bodyKeys = addBodyWall(anatomy);
  addTrunkMuscles(anatomy);
  addSpine(anatomy);
  addRibCage(anatomy);
  addPelvicBones(anatomy);
  addLungs(anatomy);
  const pools = addMediastinum(anatomy);
  addUpperAbdomen(anatomy, pools);
  addRetroperitoneum(anatomy, pools);
  addBowelAndPelvis(anatomy, gender);
  return { patientIndex, bodyLengthMm: body.lengthMm, bodyKeys, structures };
}
