/**
 * Waits until this process has gone quiet: an app context starts worker and inference threads that load their
 * code (ts-node compiles it under `ts-node`) for seconds after `createApplicationContext` returns, and a stage
 * timed meanwhile measures that start-up, not the stage.
 */
export async function settle(options: { windowMs?: number; quietShare?: number; maxMs?: number } = {}): Promise<{ waitedMs: number; quiet: boolean }> {
  const windowMs = options.windowMs ?? 500;
  // Below this share of one core for a whole window (all threads of the process together) counts as quiet.
  const quietShare = options.quietShare ?? 0.1;
  const maxMs = options.maxMs ?? 60_000;
  const started = performance.now();
  for (;;) {
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const used = process.cpuUsage(before);
    const waitedMs = performance.now() - started;
    if ((used.user + used.system) / 1000 < windowMs * quietShare) return { waitedMs, quiet: true };
    if (waitedMs >= maxMs) return { waitedMs, quiet: false };
  }
}
