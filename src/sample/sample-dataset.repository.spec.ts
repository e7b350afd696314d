import { parseCsv } from '../deeplesion/csv';
import { decode } from 'fast-png';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { DL_INFO_HEADER, planSampleDataset, renderSlice } from './phantom';
import { COMPLETE_MARKER, SampleDatasetRepository } from './sample-dataset.repository';

const OPTIONS = { seed: 7, patients: 2 };
/** Generation takes a second or two; leave room on slow machines (every test here generates). */
jest.setTimeout(60_000);

/** Nothing else is left beside the sample folder: no temporary folder, no stale leftovers. */
async function expectOnlyTheSampleIn(root: string): Promise<void> {
  expect((await readdir(root)).sort()).toEqual(['sample']);
}

describe('SampleDatasetRepository', () => {
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'sample-dataset-'));
    dir = path.join(root, 'sample');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes DL_info.csv and 16-bit key-slice PNGs once, then leaves them alone', async () => {
    const repository = new SampleDatasetRepository();
    const progress: Array<[number, number]> = [];
    const result = await repository.ensure(dir, { ...OPTIONS, onProgress: (done, total) => progress.push([done, total]) });

    expect(result).toEqual({
      created: true,
      csvPath: path.join(dir, 'DL_info.csv'),
      imagesDir: path.join(dir, 'Images_png'),
      lesions: expect.any(Number),
      slices: expect.any(Number),
    });
    expect(existsSync(path.join(dir, COMPLETE_MARKER))).toBe(true);
    expect(progress[0]).toEqual([0, result.slices]);
    expect(progress[progress.length - 1]).toEqual([result.slices, result.slices]);

    const lines = (await readFile(result.csvPath, 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toBe(DL_INFO_HEADER.join(','));
    expect(lines).toHaveLength(result.lesions + 1);

    const planned = planSampleDataset(OPTIONS);
    let pngFiles = 0;
    for (const folder of await readdir(result.imagesDir)) pngFiles += (await readdir(path.join(result.imagesDir, folder))).length;
    expect(pngFiles).toBe(result.slices);

    for (const [row, line] of lines.slice(1).entries()) {
      const fields = parseCsv(line)[0].fields;
      expect(fields).toHaveLength(18);
      const [fileName, patient, study, series, key] = fields;
      const folder = `${patient.padStart(6, '0')}_${study.padStart(2, '0')}_${series.padStart(2, '0')}`;
      expect(fileName).toBe(`${folder}_${key.padStart(3, '0')}.png`);
      const [first, last] = fields[11].split(', ').map(Number);
      for (let slice = first; slice <= last; slice++) {
        expect(existsSync(path.join(result.imagesDir, folder, `${String(slice).padStart(3, '0')}.png`))).toBe(true);
      }
      const png = decode(await readFile(path.join(result.imagesDir, folder, `${key.padStart(3, '0')}.png`)));
      expect({ width: png.width, height: png.height, depth: png.depth, channels: png.channels }).toEqual({ width: 512, height: 512, depth: 16, channels: 1 });
      expect(png.data).toBeInstanceOf(Uint16Array);
      // The file holds exactly the rendered slice (HU + 32768).
      const expected = renderSlice(planned[row].series, Number(key));
      expect(Buffer.from((png.data as Uint16Array).buffer).equals(Buffer.from(expected.buffer))).toBe(true);
      expect(png.data[0]).toBeLessThan(32768 - 900);
    }

    const again = await repository.ensure(dir, OPTIONS);
    expect(again).toEqual({ ...result, created: false });
    await expectOnlyTheSampleIn(root);
  });

  it('generates once when asked twice at the same time', async () => {
    const repository = new SampleDatasetRepository();
    const [a, b] = await Promise.all([repository.ensure(dir, OPTIONS), repository.ensure(dir, OPTIONS)]);
    expect(a).toEqual(b);
    expect(a.created).toBe(true);
    await expectOnlyTheSampleIn(root);
  });

  it('clears the leftovers of a generator that died and an empty target folder', async () => {
    // A pid above Linux's pid_max: certainly not running.
    const stale = `${dir}.tmp-2147483646`;
    await mkdir(path.join(stale, 'Images_png'), { recursive: true });
    await writeFile(path.join(stale, 'DL_info.csv'), 'half written');
    await mkdir(dir);
    const result = await new SampleDatasetRepository().ensure(dir, OPTIONS);
    expect(result.created).toBe(true);
    await expectOnlyTheSampleIn(root);
  });

  it('refuses to overwrite a folder that is not a complete sample (it may be real data)', async () => {
    await mkdir(dir);
    await writeFile(path.join(dir, 'DL_info.csv'), 'File_name\n');
    await expect(new SampleDatasetRepository().ensure(dir, OPTIONS)).rejects.toThrow(/no complete sample dataset/);
    expect(await readFile(path.join(dir, 'DL_info.csv'), 'utf8')).toBe('File_name\n');
    await expectOnlyTheSampleIn(root);
  });
});
