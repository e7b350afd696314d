import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodePng16ToHu } from '../imaging/png16';
import { ArchiveRepository, TooManyFilesError } from './archive.repository';
import { writeImage } from './archive-writer.testing';
import { encodeHuPng16, writeSlice } from './slice-writer';

describe('archive files', () => {
  let dir: string;
  const repository = new ArchiveRepository(null as never);
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archive-files-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('walks any nesting in name order, reports links, deep folders and large files by relative path, and bounds the count', async () => {
    fs.mkdirSync(path.join(dir, 'a/b/c/d'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'z.dcm'), 'x');
    fs.writeFileSync(path.join(dir, 'a/b/one.dcm'), 'x');
    fs.writeFileSync(path.join(dir, 'a/b/c/d/deep.dcm'), 'x');
    fs.writeFileSync(path.join(dir, 'a/big.dcm'), Buffer.alloc(2048));
    fs.symlinkSync('/etc/passwd', path.join(dir, 'a/link.dcm'));
    const walked = await repository.walk(dir, { maxFiles: 10, maxFileBytes: 1024, maxDepth: 2 });
    expect(walked.files.map((f) => f.relPath)).toEqual(['a/b/one.dcm', 'z.dcm']);
    expect(walked.skipped).toEqual([
      { line: 0, file: 'a/b/c', message: 'folder nested deeper than 2 (ARCHIVE_MAX_DEPTH)' },
      { line: 0, file: 'a/big.dcm', message: '2048 bytes, over the limit of 1024 (ARCHIVE_MAX_FILE_BYTES)' },
      { line: 0, file: 'a/link.dcm', message: 'a symbolic link (not followed)' },
    ]);
    await expect(repository.walk(dir, { maxFiles: 1, maxFileBytes: 1024, maxDepth: 2 })).rejects.toThrow(TooManyFilesError);
  });

  it('keeps one generated secret under DATA_DIR for the embedded database, none for a shared one', async () => {
    const first = await repository.secret(null, true, dir);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await repository.secret(null, true, dir)).toBe(first);
    expect(fs.statSync(path.join(dir, 'deid-secret')).mode & 0o777).toBe(0o600);
    expect(await repository.secret(null, false, dir)).toBeNull();
    expect(await repository.secret('configured-secret-value', false, dir)).toBe('configured-secret-value');
  });

  it('writes a slice as a DeepLesion 16-bit PNG holding the DICOM HU exactly, without text chunks', () => {
    const hu = Float32Array.from({ length: 32 * 32 }, (_, i) => (i % 97) * 13 - 1024);
    const source = path.join(dir, 'slice.dcm');
    fs.writeFileSync(
      source,
      writeImage({
        patientId: 'P',
        patientName: 'Secret^Name',
        studyUid: '1.2',
        studyDate: '20200101',
        seriesUid: '1.2.3',
        sopUid: '1.2.3.4',
        width: 32,
        height: 32,
        hu,
      }),
    );
    const target = path.join(dir, 'out/007.png');
    expect(writeSlice({ source, frame: 1, target, rows: 32, columns: 32, maxBytes: 1 << 20, maxPixels: 1 << 20 })).toEqual({ ok: true });
    const bytes = fs.readFileSync(target);
    expect(Array.from(decodePng16ToHu(bytes)!.data)).toEqual(Array.from(hu));
    expect(bytes.includes('tEXt')).toBe(false);
    expect(bytes.includes('Secret')).toBe(false);
    expect(writeSlice({ source, frame: 1, target, rows: 64, columns: 32, maxBytes: 1 << 20, maxPixels: 1 << 20 })).toEqual({
      ok: false,
      message: 'decoded 32×32, the header says 32×64',
    });
    expect(encodeHuPng16({ width: 1, height: 2, data: Float32Array.of(-40000, 40000), spacing: null }).length).toBeGreaterThan(8);
  });
});
