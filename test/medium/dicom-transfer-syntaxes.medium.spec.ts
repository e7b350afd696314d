import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeHtj2k, encodeJpeg2000 } from '../../src/imaging/codecs/wasm-encoders.testing';
import { decodeDicom } from '../../src/imaging/dicom';
import { writeDicom } from '../../src/imaging/dicom-writer.testing';
import { ImageFormatError } from '../../src/imaging/hu-image';
import { DCMTK_CONVERSIONS, dcmtk, dicomToolsMissing, eightBitDicom, REAL_SLICES_DIR, realSlices, stored12, uncompressedDicom } from '../helpers/dicom-samples';

// Every transfer syntax a CT archive holds, written by Debian's dcmtk (or, for JPEG 2000 and HTJ2K which
// bookworm's dcmtk cannot write, by the WASM encoders) from real DeepLesion key slices, must decode to the
// HU of the uncompressed file: identical when lossless, within a stated tolerance when lossy.
const missing = dicomToolsMissing();
if (missing) console.log(`skipping the DICOM transfer-syntax tests: ${missing}`);
const describeWithTools = missing ? describe.skip : describe;

const SLICES = 4;

/** Mean and largest absolute HU difference. */
function difference(a: Float32Array, b: Float32Array): { mean: number; max: number } {
  expect(a.length).toBe(b.length);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / a.length, max };
}

describeWithTools('DICOM transfer syntaxes on real slices (dcmtk)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dicom-ts-'));
  const slices = missing ? [] : realSlices(SLICES);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Writes bytes, runs a dcmtk conversion and reads the result back. */
  function convert(bytes: Uint8Array, tool: string, args: readonly string[], name: string): Uint8Array {
    const source = path.join(dir, `${name}.src.dcm`);
    const target = path.join(dir, `${name}.dcm`);
    fs.writeFileSync(source, bytes);
    dcmtk(tool, [...args, source, target]);
    return fs.readFileSync(target);
  }

  it.each(DCMTK_CONVERSIONS.map((c) => [c.name, c] as const))('%s decodes to the uncompressed HU', (_, conversion) => {
    for (const [index, slice] of slices.entries()) {
      // The second slice is signed 16-bit (stored = HU), the others 12-bit unsigned with intercept −1024.
      const signed = index === 1 && conversion.lossless; // dcmcjpls writes near-lossless for unsigned data only
      const original = signed
        ? writeDicom({ rows: slice.height, columns: slice.width, pixels: stored12(slice).map((v) => v - 1024), pixelRepresentation: 1, rescale: null })
        : uncompressedDicom(slice);
      const reference = decodeDicom(original);
      const converted = decodeDicom(convert(original, conversion.tool, conversion.args, `${slice.name}-${conversion.uid}`));
      expect(converted.transferSyntax).toBe(conversion.uid);
      const { mean, max } = difference(converted.data, reference.data);
      if (conversion.lossless) expect(max).toBe(0);
      else expect([mean, max]).toEqual([expect.any(Number), expect.any(Number)]);
      // Near-lossless JPEG-LS bounds every stored value's error by NEAR (2), i.e. 2 HU at slope 1.
      if (!conversion.lossless) expect(max).toBeLessThanOrEqual(2);
      expect(converted.spacing).toEqual(reference.spacing);
    }
  });

  it('JPEG Baseline and 8-bit JPEG Extended decode within a mean 20 HU of the 8-bit original (one grey step is 16 HU) and agree with dcmdjpeg', () => {
    for (const slice of slices) {
      const original = eightBitDicom(slice);
      const reference = decodeDicom(original);
      for (const [flag, uid] of [
        ['+eb', '1.2.840.10008.1.2.4.50'],
        ['+ee', '1.2.840.10008.1.2.4.51'],
      ] as const) {
        const compressed = convert(original, 'dcmcjpeg', [flag], `${slice.name}-${flag}`);
        const decoded = decodeDicom(compressed);
        expect(decoded.transferSyntax).toBe(uid);
        expect(difference(decoded.data, reference.data).mean).toBeLessThan(20);
        // dcmtk's own decoder (IJG libjpeg) on the same stream: IDCT rounding differs by at most one grey level.
        const byDcmtk = decodeDicom(convert(compressed, 'dcmdjpeg', [], `${slice.name}-${flag}-dcmdjpeg`));
        const { mean, max } = difference(decoded.data, byDcmtk.data);
        expect(max).toBeLessThanOrEqual(decoded.rescale.slope * 1.001);
        expect(mean).toBeLessThan(1);
      }
    }
  });

  it('12-bit JPEG Extended decodes (our sequential decoder) within 2 HU of dcmdjpeg and close to the lossless original', () => {
    for (const [index, slice] of slices.entries()) {
      // The second slice is signed (stored = HU − 1024 as 12-bit two's complement), the others unsigned.
      const signed = index === 1;
      const original = signed
        ? writeDicom({
            rows: slice.height,
            columns: slice.width,
            pixels: stored12(slice).map((v) => v - 1024),
            bitsStored: 12,
            pixelRepresentation: 1,
            rescale: null,
          })
        : uncompressedDicom(slice);
      const reference = decodeDicom(original);
      const compressed = convert(original, 'dcmcjpeg', ['+ee'], `${slice.name}-extended-12`);
      const decoded = decodeDicom(compressed);
      expect(decoded.transferSyntax).toBe('1.2.840.10008.1.2.4.51');
      // dcmtk's quality-90 default: a few HU of mean error against the original.
      const lossy = difference(decoded.data, reference.data);
      expect(lossy.mean).toBeLessThan(8);
      // IJG libjpeg's integer IDCT against our float IDCT on the same coefficients: at most a couple of units.
      const byDcmtk = decodeDicom(convert(compressed, 'dcmdjpeg', [], `${slice.name}-extended-12-dcmdjpeg`));
      const { mean, max } = difference(decoded.data, byDcmtk.data);
      expect(max).toBeLessThanOrEqual(2);
      expect(mean).toBeLessThan(0.5);
    }
  });

  it('img2dcm turns a key-slice JPEG into a JPEG Baseline DICOM (YBR_FULL_422, 3 samples) that decodes to its grey levels', () => {
    const target = path.join(dir, 'img2dcm.dcm');
    dcmtk('img2dcm', [path.join(REAL_SLICES_DIR, `${slices[0].name}.jpg`), target]);
    const decoded = decodeDicom(fs.readFileSync(target));
    expect(decoded.transferSyntax).toBe('1.2.840.10008.1.2.4.50');
    expect(difference(decoded.data, Float32Array.from(slices[0].grey)).mean).toBeLessThan(1);
  });

  it('JPEG 2000 and HTJ2K (written with the WASM encoders): lossless identical, lossy within a mean 10 HU', () => {
    for (const slice of slices) {
      const reference = decodeDicom(uncompressedDicom(slice));
      const frame = { width: slice.width, height: slice.height, values: stored12(slice), bitsPerSample: 12, signed: false };
      const cases = [
        ['1.2.840.10008.1.2.4.90', encodeJpeg2000(frame), 0],
        ['1.2.840.10008.1.2.4.91', encodeJpeg2000(frame, false), 10],
        ['1.2.840.10008.1.2.4.201', encodeHtj2k(frame), 0],
        ['1.2.840.10008.1.2.4.203', encodeHtj2k(frame, false), 10],
      ] as const;
      for (const [transferSyntax, codestream, tolerance] of cases) {
        const decoded = decodeDicom(uncompressedDicom(slice, { transferSyntax, frames: [codestream] }));
        const { mean, max } = difference(decoded.data, reference.data);
        if (tolerance === 0) expect(max).toBe(0);
        else expect(mean).toBeLessThan(tolerance);
      }
    }
  });

  it('a multi-frame file keeps each frame through RLE, JPEG Lossless and JPEG-LS', () => {
    const frames = slices.slice(0, 3);
    const multi = writeDicom({
      rows: frames[0].height,
      columns: frames[0].width,
      numberOfFrames: frames.length,
      pixels: frames.flatMap(stored12),
      bitsStored: 12,
      rescale: { slope: 1, intercept: -1024 },
    });
    const references = frames.map((slice) => decodeDicom(uncompressedDicom(slice)));
    for (const [tool, args] of [
      ['dcmcrle', []],
      ['dcmcjpeg', ['+e1']],
      ['dcmcjpls', []],
    ] as const) {
      const converted = convert(multi, tool, args, `multi-${tool}`);
      frames.forEach((_, frame) => {
        const decoded = decodeDicom(converted, { frame });
        expect(decoded.numberOfFrames).toBe(frames.length);
        expect(difference(decoded.data, references[frame].data).max).toBe(0);
      });
    }
  });

  it('MONOCHROME1 with a rescale decodes to the same HU, uncompressed and through JPEG-LS', () => {
    const slice = slices[0];
    const reference = decodeDicom(uncompressedDicom(slice));
    const monochrome1 = uncompressedDicom(slice, { photometric: 'MONOCHROME1' });
    expect(difference(decodeDicom(monochrome1).data, reference.data).max).toBe(0);
    expect(difference(decodeDicom(convert(monochrome1, 'dcmcjpls', [], 'mono1')).data, reference.data).max).toBe(0);
  });

  it('a truncated compressed file is a 422 for every compressed syntax', () => {
    const original = uncompressedDicom(slices[0]);
    const extended12 = { tool: 'dcmcjpeg', args: ['+ee'], uid: '1.2.840.10008.1.2.4.51' };
    for (const conversion of [...DCMTK_CONVERSIONS.filter((c) => c.tool !== 'dcmconv'), extended12]) {
      const converted = convert(original, conversion.tool, conversion.args, `truncated-${conversion.uid}`);
      for (const keep of [0.3, 0.9]) {
        let caught: unknown;
        try {
          decodeDicom(converted.subarray(0, Math.floor(converted.length * keep)));
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(ImageFormatError);
        expect((caught as ImageFormatError).status).toBe(422);
      }
    }
  });

  it('mutated compressed files (bytes flipped in the pixel data, cut anywhere) decode or are an ImageFormatError, never anything else', () => {
    const original = uncompressedDicom(slices[0]);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    const frame = { width: slices[0].width, height: slices[0].height, values: stored12(slices[0]), bitsPerSample: 12, signed: false };
    const files = [
      ...DCMTK_CONVERSIONS.filter((c) => c.tool !== 'dcmconv').map((c) => convert(original, c.tool, c.args, `mutate-${c.uid}`)),
      convert(eightBitDicom(slices[0]), 'dcmcjpeg', ['+eb'], 'mutate-baseline'),
      convert(original, 'dcmcjpeg', ['+ee'], 'mutate-extended-12'),
      uncompressedDicom(slices[0], { transferSyntax: '1.2.840.10008.1.2.4.90', frames: [encodeJpeg2000(frame)] }),
      uncompressedDicom(slices[0], { transferSyntax: '1.2.840.10008.1.2.4.201', frames: [encodeHtj2k(frame)] }),
    ];
    let refused = 0;
    for (const file of files) {
      for (let trial = 0; trial < 25; trial++) {
        const mutated = new Uint8Array(file.subarray(0, trial % 5 === 0 ? Math.floor(random() * file.length) : file.length));
        // Flip a few bytes after the header (the pixel data is most of the file).
        for (let k = 0; k < 1 + Math.floor(random() * 8); k++)
          mutated[Math.floor(file.length * (0.3 + 0.7 * random())) % mutated.length] ^= 1 + Math.floor(random() * 255);
        try {
          decodeDicom(mutated);
        } catch (error) {
          expect(error).toBeInstanceOf(ImageFormatError);
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(0);
  });
});
