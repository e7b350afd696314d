// ESLint flat config: bugs and layering only. Formatting is Prettier's (no stylistic rules here).
import boundaries from 'eslint-plugin-boundaries';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, lowest first. A folder may import its own layer (top: its own folder) and the layers below, never one above:
 * - base: shared plumbing and pure domain (no Nest feature depends the other way);
 * - core: the lesion store, the models, the vector index, tags, the import jobs every importer shares, and the
 *   detector's pure functions (boxes, NMS, body mask, point to box);
 * - feature: everything built on those; what one needs from a top folder comes through a port it or a lower layer owns;
 * - top: the three request-facing features nothing else may import, not even each other (ingest, search, detection);
 * - entry: what composes the app (app module, main, the CLI, the web module).
 */
const LAYERS = {
  base: ['common', 'config', 'auth', 'change-log', 'jobs', 'imaging', 'deeplesion'],
  core: ['lesions', 'tags', 'ml', 'vector-index', 'ingest-jobs', 'detection-core'],
  feature: ['archive', 'pacs', 'sample', 'evaluation', 'dicomweb', 'deid', 'uploads', 'health', 'metrics', 'models', 'growth', 'cohorts', 'reporting'],
  top: ['ingest', 'search', 'detection'],
  entry: ['cli', 'web'],
};

const folderElements = Object.entries(LAYERS).flatMap(([type, folders]) => folders.map((folder) => ({ type, pattern: `src/${folder}` })));

const allow = (from, to) => ({ from: { element: { type: from } }, allow: { to: { element: { types: { anyOf: to } } } } });

const LAYER_POLICIES = [
  allow('entry', ['entry', 'database', 'top', 'feature', 'core', 'base']),
  allow('top', ['feature', 'core', 'base']),
  allow('feature', ['feature', 'core', 'base']),
  allow('core', ['core', 'base']),
  allow('base', ['base']),
  // The entity registry and the data source name every entity: a composition, used by the entry points.
  allow('database', ['database', 'core', 'base']),
];

/** Specs and *.testing.ts helpers may also use fixtures from any feature (e.g. the sample's seeded PRNG), never from top or entry. */
const TEST_POLICIES = [...LAYER_POLICIES, allow('core', ['feature']), allow('base', ['core', 'feature'])];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'web/**', 'shared/**', '**/*.js', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // What import-x needs to read a TypeScript file's imports (without it no-cycle silently sees none).
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: {
      // The finding that matters: a cycle between files (it makes Nest's injection order and module init fragile).
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // `_`-prefixed names mark deliberately unused parameters and destructured leftovers.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Nest modules are classes with decorators and no body.
      '@typescript-eslint/no-extraneous-class': 'off',
      // Hot pixel loops write `cond && (a = b)` and `c ? x++ : y++` as statements; sequence expressions are still refused.
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { project: 'tsconfig.json' } },
      'boundaries/include': ['src/**/*.ts'],
      // The app's composition files import every feature by design; they are entry points, not an element.
      'boundaries/ignore': ['src/main.ts', 'src/app.module.ts', 'src/app.setup.ts'],
      'boundaries/elements': [{ type: 'database', pattern: 'src/database' }, ...folderElements],
    },
    rules: {
      'boundaries/dependencies': ['error', { default: 'disallow', policies: LAYER_POLICIES }],
      'boundaries/no-unknown-files': 'error',
    },
  },
  {
    files: ['src/**/*.spec.ts', 'src/**/*.testing.ts'],
    rules: {
      'boundaries/dependencies': ['error', { default: 'disallow', policies: TEST_POLICIES }],
    },
  },
);
