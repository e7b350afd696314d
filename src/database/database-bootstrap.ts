import { AppConfig } from '../config/app-config';
import { EmbeddedPostgresLauncher } from './embedded-postgres.launcher';

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise the embedded PostgreSQL in the data folder, started here. */
export async function resolveDatabase(config: AppConfig): Promise<ResolvedDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => undefined };
  const launcher = new EmbeddedPostgresLauncher(config.embeddedPg.dataDir, config.embeddedPg.port);
  // The service may already run the embedded server (a CLI command beside `npm start`): share it.
  const running = await launcher.runningUrl();
  if (running) return { url: running, embedded: true, stop: async () => undefined };
  const url = await launcher.start();
  return { url, embedded: true, stop: () => launcher.stop() };
}
