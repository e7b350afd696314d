import 'reflect-metadata';
import { Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { API_PREFIX, APP_OPTIONS, configureApp, createHttpAdapter, initApp } from './app.setup';
import { AuthService } from './auth/auth.service';
import { AppConfig, ConfigError, loadConfig } from './config/app-config';
import { JsonLogger } from './common/json-logger';
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
  const levels = LEVELS[config.logLevel];
  const logger = new Logger('Main');
  const jsonLogger = config.logFormat === 'json' ? new JsonLogger(levels) : null;
  if (jsonLogger) Logger.overrideLogger(jsonLogger);
  const database = await resolveDatabase(config);
  const app = await NestFactory.create(AppModule.forRoot(config, database.url), createHttpAdapter(), { ...APP_OPTIONS, logger: jsonLogger ?? levels });
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
    config.bootstrapAdminKey === 'always' || (config.bootstrapAdminKey === 'auto' && database.embedded) ? await app.get(AuthService).ensureAdminKey() : null;
  if (config.sample.autoload && config.role !== 'api') await app.get(SampleService).ensureIngested();
  if (config.role === 'worker') {
    await app.listen(config.workerPort, config.host);
    const probes = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.workerPort}`;
    logger.log(`Worker up (ROLE=worker): runs queued jobs from ${config.jobs.prefix} on REDIS_URL; ${probes}/health/ready and ${probes}/metrics`);
    if (bootstrapKey) logger.log(`An admin API key was created. It is shown only this once; store it now: ${bootstrapKey.key}`);
    return;
  }
  await app.listen(config.port, config.host);

  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
  const lines = [
    '',
    `Lesion retrieval service is up at ${url}`,
    `  Web:     ${url}/   (sign in with an API key)`,
    `  API:     ${url}/${API_PREFIX}   (OpenAPI docs: ${url}/docs)`,
    `  Health:  ${url}/health/ready`,
    `  Database: ${database.embedded ? `embedded PostgreSQL in ${config.embeddedPg.dataDir}` : 'DATABASE_URL'}`,
    `  Jobs:    ${config.jobs.redisUrl ? `BullMQ on REDIS_URL (${config.role === 'api' ? 'run by ROLE=worker processes' : 'run here and by any worker'})` : 'in this process'}`,
  ];
  if (bootstrapKey) {
    lines.push(
      '',
      '  An admin API key was created. It is shown only this once; store it now:',
      `    ${bootstrapKey.key}`,
      `  Use it as:  curl -H "Authorization: Bearer ${bootstrapKey.key}" ${url}/${API_PREFIX}/stats`,
    );
  } else {
    lines.push(
      '',
      '  Authenticate with "Authorization: Bearer <API key>" (the admin key was printed on first start).',
      '  New key: npm run keys -- create --name <name> --role reader|curator|admin',
    );
  }
  // Under LOG_FORMAT=json the banner is one log line like every other.
  if (jsonLogger)
    logger.log(
      lines
        .map((l) => l.trim())
        .filter(Boolean)
        .join(' | '),
    );
  else console.log(lines.join('\n') + '\n');
}

bootstrap().catch((error: Error) => {
  console.error(`Start-up failed: ${error.message}`);
  process.exit(1);
});
