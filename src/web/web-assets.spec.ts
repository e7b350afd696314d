import * as fs from 'node:fs';
import * as path from 'node:path';
import { findWebRoot, resolveWebFile } from './web-assets';

describe('web assets', () => {
  const root = findWebRoot();

  it('finds web/ at the project root from src/web (and, the same way, from dist/src/web)', () => {
    expect(root).toBe(path.resolve(__dirname, '../../web'));
    expect(fs.existsSync(path.join(root, 'index.html'))).toBe(true);
    expect(findWebRoot(path.resolve(__dirname, '../../dist/src/web'))).toBe(root);
  });

  it('serves only known file types inside the folder', () => {
    expect(resolveWebFile(root, 'js/app.js')).toBe(path.join(root, 'js', 'app.js'));
    expect(resolveWebFile(root, 'styles.css')).toBe(path.join(root, 'styles.css'));
    for (const bad of ['../package.json', 'js/../../src/main.ts', '.env', 'js/.hidden.js', '', '/', 'notes.txt', 'js\\..\\x.js']) {
      expect(resolveWebFile(root, bad)).toBeNull();
    }
  });
});
