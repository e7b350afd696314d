import * as fs from 'node:fs';
import { EmbeddedPostgresLauncher } from '../src/database/embedded-postgres.launcher';

export default async function globalTeardown(): Promise<void> {
  const embedded = (globalThis as Record<string, unknown>).__EMBEDDED_PG__ as { launcher: EmbeddedPostgresLauncher; dir: string } | undefined;
  if (!embedded) return;
  await embedded.launcher.stop();
  fs.rmSync(embedded.dir, { recursive: true, force: true });
}
