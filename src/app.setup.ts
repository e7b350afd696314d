import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { INestApplication, RequestMethod, ValidationPipe } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { apiKeyFromHeaders } from './auth/api-key.codec';
import { KEY_REQUIRED_MESSAGE } from './auth/api-key.guard';
import { registerAuditHook } from './auth/audit.hook';
import { AuthService } from './auth/auth.service';
import { AppConfig } from './config/app-config';
import { EventLoopStallRecorder } from './common/event-loop-stalls';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { registerInputGuards } from './common/input-guards';
import { requestContext } from './common/request-context';
import { MetricsService } from './metrics/metrics.service';
import { registerMultipartParser } from './common/multipart-uploads';
import { RequestTimeoutInterceptor } from './common/request-timeout.interceptor';

export const API_PREFIX = 'api/v1';

/** JSON bodies above this are refused with 413 (uploads are multipart, bounded by MAX_UPLOAD_BYTES). */
const JSON_BODY_LIMIT = 1024 * 1024;

/**
 * Options for creating the app (main.ts and the e2e tests). Nest's own body parsers stay off: Fastify's
 * JSON parser is enough, and no route takes URL-encoded forms (multipart is registered by configureApp).
 */
export const APP_OPTIONS = { bodyParser: false } as const;

/**
 * The HTTP server: Fastify rather than Express. The cheapest authenticated route served about twice
 * the requests per second, and framework code had been half of a by-id search's time (README,
 * Development; docs/BENCHMARKS.md, HTTP section).
 */
export function createHttpAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: JSON_BODY_LIMIT,
    // As Express did: /api/v1/lesions/ is /api/v1/lesions.
    routerOptions: { ignoreTrailingSlash: true },
    // Nest logs what it needs; Fastify's per-request logger stays off.
    logger: false,
    // A caller's (or a proxy's) X-Request-Id is kept when it looks like one, else one is made; either is echoed (configureApp).
    requestIdHeader: false,
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
  });
}

/** Everything the HTTP app needs beyond its modules; shared by main.ts and the e2e tests. */
export function configureApp(app: INestApplication, config: AppConfig): void {
  const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance();
  // First, so that requests refused by the hooks below are seen too.
  if (config.eventLoopStallLog) new EventLoopStallRecorder(config.eventLoopStallLog, config.eventLoopStallMs).register(fastify);
  // Only JSON and multipart bodies are read; anything else is 415 before a byte of it is buffered.
  fastify.removeContentTypeParser('text/plain');
  // NUL, invalid UTF-8 and over-deep JSON are 400 here, before validation, a query or a stored row.
  registerInputGuards(fastify, { maxJsonDepth: config.maxJsonDepth, maxJsonItems: config.maxJsonItems });
  const auth = app.get(AuthService);
  registerMultipartParser(
    fastify,
    { fileSize: config.maxUploadBytes, fields: 40 },
    async (request) => (await auth.authenticate(apiKeyFromHeaders(request.headers))) !== null,
    KEY_REQUIRED_MESSAGE,
  );
  registerAuditHook(fastify, auth, `/${API_PREFIX}/`);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('X-Request-Id', request.id);
    // Log lines written while serving the request carry its id (LOG_FORMAT=json).
    requestContext.run({ requestId: request.id }, done);
  });
  if (config.role === 'worker') {
    // A worker runs jobs; over HTTP it answers only the probes and /metrics.
    fastify.addHook('onRequest', (request, reply, done) => {
      const route = request.url.split('?')[0];
      if (route === '/metrics' || route === '/health/live' || route === '/health/ready') return done();
      void reply.code(404).send({
        statusCode: 404,
        error: 'Not Found',
        message: 'This process is a worker (ROLE=worker): it serves only /health/live, /health/ready and /metrics',
      });
    });
  }
  app.get(MetricsService).registerHttpHooks(fastify);
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
      // The browser UI (src/web): the page at / and its files under /ui/.
      { path: '/', method: RequestMethod.GET },
      { path: 'ui/*path', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new HttpExceptionFilter());
  app.useGlobalInterceptors(new RequestTimeoutInterceptor(config.requestTimeoutMs));
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Lesion retrieval service')
      .setDescription('Similar-lesion search over DeepLesion-shaped CT archives. Authenticate with "Authorization: Bearer <API key>".')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

/** Initialises the app and its HTTP server (routes, hooks), so it can be served or tested in-process. */
export async function initApp(app: INestApplication): Promise<void> {
  await app.init();
  await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
}
