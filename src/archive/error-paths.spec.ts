import { filePathKey } from '../deid/pseudonym';
import { fileOrdinals, withoutPaths } from './error-paths';

describe('withoutPaths', () => {
  const secret = 'spec-secret';
  const ordinals = fileOrdinals([{ relPath: 'DOE_JOHN/ct/1.dcm' }, { relPath: 'DOE_JOHN/ct/2.dcm' }]);

  it('replaces a walked file by its keyed reference and position, keeping nothing of the path', () => {
    const [stored] = withoutPaths([{ line: 0, file: 'DOE_JOHN/ct/2.dcm', message: 'truncated or corrupt DICOM header' }], secret, ordinals);
    expect(stored).toEqual({ line: 0, file: filePathKey(secret, 'DOE_JOHN/ct/2.dcm'), fileOrdinal: 2, message: 'truncated or corrupt DICOM header' });
    expect(stored.file).toMatch(/^key:[0-9a-f]{16}$/);
    expect(JSON.stringify(stored)).not.toMatch(/DOE|JOHN|ct\/|dcm/);
  });

  it('hashes an entry that was never read (a symlink, a folder too deep) without a position', () => {
    const [stored] = withoutPaths([{ line: 0, file: 'SMITH_ANN/link.dcm', message: 'a symbolic link (not followed)' }], secret, ordinals);
    expect(stored).toEqual({ line: 0, file: filePathKey(secret, 'SMITH_ANN/link.dcm'), message: 'a symbolic link (not followed)' });
  });

  it('keeps the labels of the annotations CSV and errors without a file', () => {
    const errors = [
      { line: 3, file: 'annotations', message: 'bad box' },
      { line: 0, file: 'annotations line 7', message: 'no such image' },
      { line: 0, message: 'a series with one slice' },
    ];
    expect(withoutPaths(errors, secret, ordinals)).toEqual(errors);
  });

  it('gives the same path the same reference under one secret and another under a different secret', () => {
    expect(filePathKey(secret, 'a/b.dcm')).toBe(filePathKey(secret, 'a/b.dcm'));
    expect(filePathKey(secret, 'a/b.dcm')).not.toBe(filePathKey('other-secret', 'a/b.dcm'));
    expect(filePathKey(secret, 'a/b.dcm')).not.toBe(filePathKey(secret, 'a/c.dcm'));
  });
});
