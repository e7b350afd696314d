import { CT_PADDING_HU, samplesToHu, storedValue } from './dicom-pixels';

const plain = { slope: 1, intercept: 0, padding: null, paddingHu: null, invert: false };

function hu(samples: ArrayLike<number>, format: Parameters<typeof samplesToHu>[2], mapping: Partial<Parameters<typeof samplesToHu>[3]> = {}): number[] {
  const out = new Float32Array(samples.length);
  samplesToHu(samples, out, format, { ...plain, ...mapping });
  return Array.from(out);
}

describe('stored pixel values to HU', () => {
  it('masks bits outside BitsStored and sign-extends from the top stored bit', () => {
    const twelveSigned = { bitsStored: 12, shift: 0, signed: true };
    expect(storedValue(0x0fff, twelveSigned)).toBe(-1);
    expect(storedValue(0xf7ff, twelveSigned)).toBe(2047); // junk in the top nibble is masked off
    expect(storedValue(0x0800, twelveSigned)).toBe(-2048);
    expect(storedValue(0x8fff, { bitsStored: 12, shift: 0, signed: false })).toBe(4095);
    // HighBit 15 with BitsStored 12: the stored bits sit at the top.
    expect(storedValue(0xfff0, { bitsStored: 12, shift: 4, signed: true })).toBe(-1);
  });

  it('applies the rescale, on the fast path and the general one', () => {
    expect(hu(new Int16Array([-1000, 0, 3000]), { bitsStored: 16, shift: 0, signed: true }, { slope: 0.5, intercept: -10 })).toEqual([-510, -10, 1490]);
    expect(hu(new Uint16Array([0, 4095]), { bitsStored: 12, shift: 0, signed: false }, { slope: 1, intercept: -1024 })).toEqual([-1024, 3071]);
  });

  it('writes air for a CT padding value and range, and the darkest other pixel when asked', () => {
    const samples = new Int16Array([-2000, -1500, 40, 100, -1999]);
    const format = { bitsStored: 16, shift: 0, signed: true };
    expect(hu(samples, format, { padding: { low: -2000, high: -2000 }, paddingHu: CT_PADDING_HU })).toEqual([-1024, -1500, 40, 100, -1999]);
    expect(hu(samples, format, { padding: { low: -2000, high: -1999 }, paddingHu: CT_PADDING_HU })).toEqual([-1024, -1500, 40, 100, -1024]);
    expect(hu(samples, format, { padding: { low: -2000, high: -2000 }, paddingHu: null })).toEqual([-1999, -1500, 40, 100, -1999]);
  });

  it('inverts within the stored range when asked (MONOCHROME1 without a rescale)', () => {
    expect(hu(new Uint16Array([0, 1, 4095]), { bitsStored: 12, shift: 0, signed: false }, { invert: true })).toEqual([4095, 4094, 0]);
    expect(hu(new Int16Array([-2048, 0, 2047]), { bitsStored: 12, shift: 0, signed: true }, { invert: true })).toEqual([2047, -1, -2048]);
  });
});
