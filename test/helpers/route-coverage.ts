import * as fs from 'node:fs';
import * as path from 'node:path';

export type RouteCase = 'success' | 'bad-input';

/**
 * Declares that the test calling it exercises an OpenAPI route ('METHOD /path' as the document
 * spells it, e.g. 'GET /api/v1/cohorts/{id}'): a success whose body is checked against truth,
 * and/or bad input whose status and message are checked. It does nothing at run time: the OpenAPI
 * walk (test/e2e/openapi-coverage.e2e.spec.ts) reads these calls from the spec files, so the
 * arguments must be string literals.
 */
export function covers(route: string, ...cases: RouteCase[]): void {
  void route;
  void cases;
}

/** Every `covers(...)` declaration in the e2e spec files: route → the cases declared for it. */
export function declaredCoverage(dir = path.join(__dirname, '../e2e')): Map<string, Set<RouteCase>> {
  const declared = new Map<string, Set<RouteCase>>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.spec.ts'))) {
    const source = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const call of source.matchAll(/\bcovers\(\s*'([A-Z]+ [^']+)'((?:\s*,\s*'[a-z-]+')*)\s*\)/g)) {
      const cases = [...call[2].matchAll(/'([a-z-]+)'/g)].map((m) => m[1]);
      for (const c of cases) if (c !== 'success' && c !== 'bad-input') throw new Error(`${file}: unknown case '${c}' for ${call[1]}`);
      const set = declared.get(call[1]) ?? new Set<RouteCase>();
      cases.forEach((c) => set.add(c as RouteCase));
      declared.set(call[1], set);
    }
  }
  return declared;
}
