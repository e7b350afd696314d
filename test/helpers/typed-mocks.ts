/**
 * Typed stand-ins for a service's collaborators: only the methods a spec uses, each a jest.fn whose
 * arguments and results are checked against the real class, so a renamed method or a changed
 * signature breaks the spec at compile time instead of leaving it green.
 */
export type MethodMocks<T, K extends keyof T> = jest.Mocked<Pick<T, K>>;

/** Hands a partial mock to a constructor that wants the whole class (the spec only calls what it mocked). */
export function asDependency<T>(mock: Partial<T>): T {
  return mock as T;
}
