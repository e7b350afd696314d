import 'reflect-metadata';
import { Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { API_PREFIX, APP_OPTIONS, configureApp, createHttpAdapter, initApp } from './app.setup';
import { AuthService } from './auth/auth.service';
import { AppConfig, ConfigError, loadConfig } from './config/app-config';
import { resolveDatabase } from './database/database-bootstrap';
import { SampleService } from './sample/sample.service';

const LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = new Logger('Main');
  const database = await resolveDatabase(config);
  const app = await NestFactory.create(AppModule.forRoot(config, database.url), createHttpAdapter(), { ...APP_OPTIONS, logger: LEVELS[config.logLevel] });
  configureApp(app, config);
  await initApp(app); // connects and runs pending migrations

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.log(`${signal} received, shutting down`);
    await app.close().catch((e: Error) => logger.error(e.message));
    await database.stop().catch((e: Error) => logger.error(e.message));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const bootstrapKey =
    config.bootstrapAdminKey === 'always' || (config.bootstrapAdminKey === 'auto' && database.embedded)
      ? await app.get(AuthService).ensureAdminKey()
      : null;
  if (config.sample.autoload) await app.get(SampleService).ensureIngested();
  await app.listen(config.port, config.host);

  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
  const lines = [
    '',
    `Lesion retrieval service is up at ${url}`,
    `  Web:     ${url}/   (sign in with an API key)`,
    `  API:     ${url}/${API_PREFIX}   (OpenAPI docs: ${url}/docs)`,
    `  Health:  ${url}/health/ready`,
    `  Database: ${database.embedded ? `embedded PostgreSQL in ${config.embeddedPg.dataDir}` : 'DATABASE_URL'}`,
  ];
  if (bootstrapKey) {
    lines.push(
      '',
      '  An admin API key was created. It is shown only this once; store it now:',
      `    ${bootstrapKey.key}`,
      `  Use it as:  curl -H "Authorization: Bearer ${bootstrapKey.key}" ${url}/${API_PREFIX}/stats`,
    );
  } else {
    lines.push('', '  Authenticate with "Authorization: Bearer <API key>" (the admin key was printed on first start).', '  New key: npm run keys -- create --name <name> --role reader|curator|admin');
  }
  console.log(lines.join('\n') + '\n');
}

bootstrap().catch((error: Error) => {
  console.error(`Start-up failed: ${error.message}`);
  process.exit(1);
});
