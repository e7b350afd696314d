import { planSampleDataset, renderSliceHu } from './phantom';
import { Prng } from './prng';
it('speed', () => {
  let t = Date.now();
  const a = new Float32Array(512 * 512);
  for (let k = 0; k < 20; k++) for (let i = 0; i < a.length; i++) a[i] += Math.sqrt(i) * 0.5;
  console.log('typed loop', Date.now() - t);
  t = Date.now();
  const r = new Prng(1); let s = 0; for (let i = 0; i < 5e6; i++) s += r.next();
  console.log('prng 5e6', Date.now() - t);
  t = Date.now();
  const cases = planSampleDataset({ seed: 1, patients: 4 });
  console.log('plan 4', Date.now() - t);
  t = Date.now();
  for (let k = 0; k < 10; k++) renderSliceHu(cases[0].series, cases[0].keySliceIndex, { noise: false });
  console.log('render x10', Date.now() - t);
});
