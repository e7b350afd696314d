import { INestApplication, RequestMethod, ValidationPipe } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig } from './config/app-config';
import { HttpExceptionFilter } from './common/http-exception.filter';

export const API_PREFIX = 'api/v1';

/**
 * Options for creating the app (main.ts and the e2e tests). Body parsers are registered by
 * configureApp alone: JSON and raw images (multipart is read per route); Nest's defaults would add a
 * second JSON parser and a form parser that every request passes through.
 */
export const APP_OPTIONS = { bodyParser: false } as const;

/** Everything the HTTP app needs beyond its modules; shared by main.ts and the e2e tests. */
export function configureApp(app: INestApplication, config: AppConfig): void {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  // No automatic ETag: hashing every JSON body cost ~1 % of a search, and no client revalidates API
  // answers (web assets and patch images set their own caching headers).
  express.set('etag', false);
  express.useBodyParser('json', { limit: '1mb' });
  express.useBodyParser('raw', { limit: config.maxUploadBytes, type: ['image/png', 'image/jpeg', 'application/dicom', 'application/octet-stream'] });
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      // The browser UI (src/web): the page at / and its files under /ui/.
      { path: '/', method: RequestMethod.GET },
      { path: 'ui/*path', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new HttpExceptionFilter());
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
