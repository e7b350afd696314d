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

describe('the layering rule (eslint-plugin-boundaries)', () => {
  it('refuses an import of src/ingest from a lower folder (lesions)', () => {
    const errors = boundaryErrors(
      lintAs('src/lesions/wrong-way.ts', "import { IngestService } from '../ingest/ingest.service';\n\nexport const wrong = IngestService;\n"),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('"core" to elements of type "top"');
  });

  it('refuses an import of src/search from a feature and of a feature from the pure base (deeplesion)', () => {
    const fromFeature = boundaryErrors(
      lintAs('src/deid/wrong-way.ts', "import { SearchService } from '../search/search.service';\n\nexport const wrong = SearchService;\n"),
    );
    expect(fromFeature).toHaveLength(1);
    const fromBase = boundaryErrors(
      lintAs('src/deeplesion/wrong-way.ts', "import { LesionsService } from '../lesions/lesions.service';\n\nexport const wrong = LesionsService;\n"),
    );
    expect(fromBase).toHaveLength(1);
    expect(fromBase[0]).toContain('"base" to elements of type "core"');
  });

  it('allows the same imports downwards: ingest may use lesions, lesions may use deeplesion', () => {
    expect(
      boundaryErrors(
        lintAs('src/ingest/right-way.ts', "import { LesionsService } from '../lesions/lesions.service';\n\nexport const right = LesionsService;\n"),
      ),
    ).toEqual([]);
    expect(
      boundaryErrors(lintAs('src/lesions/right-way.ts', "import { COARSE_TYPES } from '../deeplesion/coarse-types';\n\nexport const right = COARSE_TYPES;\n")),
    ).toEqual([]);
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
