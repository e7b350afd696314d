import { isPlainFolderName } from './model-folder';

describe('model folder names', () => {
  it.each(['default-encoder', 'projection.v2', 'Model_1'])('accepts %s', (name) => {
    expect(isPlainFolderName(name)).toBe(true);
  });

  it.each(['../x', '..', '.hidden', 'a/b', 'a\\b', '', 'x'.repeat(129), 'a..b', 'name\0', 42])('refuses %p', (name) => {
    expect(isPlainFolderName(name)).toBe(false);
  });
});
