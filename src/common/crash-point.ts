/**
 * Test-only crash points. When LRS_TEST_CRASH_AT names a point, the process kills itself with
 * SIGKILL the (LRS_TEST_CRASH_SKIP + 1)-th time it passes there, as a power cut would: no finally
 * blocks, no shutdown hooks. Only crash tests set these variables (test/e2e/crash-points.e2e.spec.ts),
 * so they are read here and not among the validated settings of app-config.ts.
 */
export type CrashPoint = 'ingest-before-commit' | 'embedding-before-store' | 'index-snapshot-before-rename';

const passes = new Map<CrashPoint, number>();

export function crashPoint(point: CrashPoint): void {
  if (process.env.LRS_TEST_CRASH_AT !== point) return;
  const seen = (passes.get(point) ?? 0) + 1;
  passes.set(point, seen);
  if (seen > Number(process.env.LRS_TEST_CRASH_SKIP ?? 0)) process.kill(process.pid, 'SIGKILL');
}

/**
 * Test-only stall: when LRS_TEST_STALL_AT names a point, the thread spins there for LRS_TEST_STALL_MS
 * (default 5000), so a time-limit test does not depend on how fast this machine decodes. A spin, not
 * a sleep, so that terminating the worker thread stops it as it would stop a real decode.
 */
export type StallPoint = 'large-upload-decode';

export function stallPoint(point: StallPoint): void {
  if (process.env.LRS_TEST_STALL_AT !== point) return;
  const until = Date.now() + Number(process.env.LRS_TEST_STALL_MS ?? 5000);
  while (Date.now() < until) {
    // spinning on purpose
  }
}
