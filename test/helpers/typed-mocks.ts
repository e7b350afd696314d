/**
 * Typed stand-ins for a service's collaborators: only the methods a spec uses, each a jest.fn whose
 * arguments and results are checked against the real class, so a renamed method or a changed
 * signature breaks the spec at compile time instead of leaving it green.
 */
export type MethodMocks<T, K extends keyof T> = jest.Mocked<Pick<T, K>>;

/**
 * Mocks of some of T's methods from implementations typed against T (call as mockMethods<Repo>()({ … })):
 * each implementation is checked as T's method, and the spec gets jest mocks with T's argument types.
 */
export function mockMethods<T>() {
  return <K extends keyof T>(implementations: Pick<T, K>): MethodMocks<T, K> => {
    const mocks: Partial<Record<K, jest.Mock>> = {};
    for (const key of Object.keys(implementations) as K[]) mocks[key] = jest.fn(implementations[key] as unknown as (...args: unknown[]) => unknown);
    return mocks as unknown as MethodMocks<T, K>;
  };
}

/** Hands a partial mock to a constructor that wants the whole class (the spec only calls what it mocked). */
export function asDependency<T>(mock: Partial<T>): T {
  return mock as T;
}
