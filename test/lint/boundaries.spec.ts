import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const ESLINT = path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');

interface LintMessage {
  ruleId: string | null;
  message: string;
}

/**
 * Lints `code` as if it were the file `filePath` (relative to the project root) with the project's own
 * eslint.config.mjs, in a child process: ESLint loads its flat config with import(), which Jest's module
 * sandbox does not allow.
 */
function lintAs(filePath: string, code: string): LintMessage[] {
  const run = spawnSync(process.execPath, [ESLINT, '--format', 'json', '--stdin', '--stdin-filename', path.join(ROOT, filePath)], {
    cwd: ROOT,
    input: code,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.error) throw run.error;
  const results = JSON.parse(run.stdout) as { messages: LintMessage[] }[];
  return results.flatMap((r) => r.messages);
}

const boundaryErrors = (messages: LintMessage[]) => messages.filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => m.message);

/** The layering errors of a file at `filePath` that imports `name` from `from` and uses it. */
const importErrors = (filePath: string, name: string, from: string) =>
  boundaryErrors(lintAs(filePath, `import { ${name} } from '${from}';\n\nexport const used = ${name};\n`));

describe('the layering rule (eslint-plugin-boundaries)', () => {
  it('refuses an import of src/ingest from a lower folder (lesions)', () => {
    const errors = importErrors('src/lesions/wrong-way.ts', 'IngestService', '../ingest/ingest.service');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('"core" to elements of type "top"');
  });

  it('refuses an import of src/search from a feature and of a feature from the pure base (deeplesion)', () => {
    expect(importErrors('src/deid/wrong-way.ts', 'SearchService', '../search/search.service')).toHaveLength(1);
    const fromBase = importErrors('src/deeplesion/wrong-way.ts', 'LesionsService', '../lesions/lesions.service');
    expect(fromBase).toHaveLength(1);
    expect(fromBase[0]).toContain('"base" to elements of type "core"');
  });

  it('refuses src/search and src/detection to the features that once reached up (growth, reporting) and to each other', () => {
    const fromGrowth = importErrors('src/growth/wrong-way.ts', 'SearchService', '../search/search.service');
    expect(fromGrowth).toHaveLength(1);
    expect(fromGrowth[0]).toContain('"feature" to elements of type "top"');
    expect(importErrors('src/reporting/wrong-way.ts', 'DetectionService', '../detection/detection.service')).toHaveLength(1);
    const fromDetection = importErrors('src/detection/wrong-way.ts', 'SearchService', '../search/search.service');
    expect(fromDetection).toHaveLength(1);
    expect(fromDetection[0]).toContain('"top" to elements of type "top"');
  });

  it('allows the same imports downwards: ingest may use lesions, lesions may use deeplesion, growth the similar-lesions port', () => {
    expect(importErrors('src/ingest/right-way.ts', 'LesionsService', '../lesions/lesions.service')).toEqual([]);
    expect(importErrors('src/lesions/right-way.ts', 'COARSE_TYPES', '../deeplesion/coarse-types')).toEqual([]);
    expect(importErrors('src/growth/right-way.ts', 'SIMILAR_LESIONS', '../lesions/similar-lesions.port')).toEqual([]);
  });

  it('finds an import cycle between two files', () => {
    // The real lesion view and a file it would import back: only the cycle rule should speak.
    const messages = lintAs(
      'src/deeplesion/coarse-types.ts',
      "import { toLesionView } from '../lesions/lesion.view';\n\nexport const COARSE_TYPES = { 1: 'bone' };\nexport const v = toLesionView;\n",
    );
    expect(messages.map((m) => m.ruleId)).toContain('import-x/no-cycle');
  });
});
