import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { BadRequestException, HttpException, PayloadTooLargeException, UnauthorizedException, UnsupportedMediaTypeException } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import busboy from 'busboy';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { displayName, formFieldProblem, textProblemMessage } from './request-text';

/** A multipart file field a route takes, and how many files it may hold. */
export interface UploadField {
  name: string;
  maxCount: number;
}

/** An uploaded file, read into memory (the shape Nest's @UploadedFile() hands to controllers). */
export interface UploadedFileBuffer {
  fieldname: string;
  originalname: string;
  mimetype: string;
  size: number;
  buffer: Buffer;
}

export interface MultipartLimits {
  /** Bytes per file; a larger file is refused with 413. */
  fileSize: number;
  /** Text fields per request. */
  fields: number;
}

export interface ParsedMultipart {
  /** Text fields: a string, or an array when a name repeats. */
  fields: Record<string, string | string[]>;
  files: Record<string, UploadedFileBuffer[]>;
}

/**
 * Marks a route as taking multipart uploads in these file fields. Routes without it answer a
 * multipart body with 415; a file in another field is 400 naming the field. Uploads need a valid
 * API key, checked before the body is read (the route's guard checks the role afterwards).
 */
export const AcceptsUploads = (...fields: UploadField[]) => RouteConfig({ uploads: fields });

// Field names that would reach an object's prototype.
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Reads multipart bodies for routes marked with @AcceptsUploads: text fields become the body, files
 * go to `request.files` (by field) and, for a route with one single-file field, `request.file`, as
 * Nest's @UploadedFile() and @UploadedFiles() expect.
 */
export function registerMultipartParser(
  fastify: FastifyInstance,
  limits: MultipartLimits,
  keyIsValid: (request: FastifyRequest) => Promise<boolean>,
  keyRequiredMessage: string,
): void {
  fastify.addContentTypeParser('multipart/form-data', (request: FastifyRequest, payload, done) => {
    const accepted = (request.routeOptions.config as { uploads?: UploadField[] } | undefined)?.uploads;
    if (!accepted) {
      payload.resume();
      done(new UnsupportedMediaTypeException('This route takes JSON, not a multipart upload'), undefined);
      return;
    }
    // Not a byte of a (possibly 32 MB) body is kept for a client without a valid key.
    const parsed = keyIsValid(request).then((valid) => {
      if (valid) return parseMultipart(request.headers, payload, accepted, limits);
      payload.resume();
      throw new UnauthorizedException(keyRequiredMessage);
    });
    parsed.then(
      ({ fields, files }) => {
        const target = request as unknown as { files?: Record<string, UploadedFileBuffer[]>; file?: UploadedFileBuffer };
        target.files = files;
        if (accepted.length === 1 && accepted[0].maxCount === 1) target.file = files[accepted[0].name]?.[0];
        done(null, fields);
      },
      (error: Error) => done(error, undefined),
    );
  });
}

/**
 * Parses a multipart body with busboy, in memory and within limits. On the first error the rest of the
 * body is drained unread, so the client finishes sending and sees the 4xx answer (not a reset).
 */
export function parseMultipart(headers: IncomingHttpHeaders, body: Readable, accepted: UploadField[], limits: MultipartLimits): Promise<ParsedMultipart> {
  return new Promise((resolve, reject) => {
    const maxFiles = accepted.reduce((sum, f) => sum + f.maxCount, 0);
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers, limits: { fileSize: limits.fileSize, files: maxFiles, fields: limits.fields, parts: maxFiles + limits.fields } });
    } catch (error) {
      body.resume();
      reject(new BadRequestException(`Bad upload: ${(error as Error).message}`));
      return;
    }
    const fields: Record<string, string | string[]> = Object.create(null);
    const files: Record<string, UploadedFileBuffer[]> = Object.create(null);
    let failed = false;
    let pendingFiles = 0;
    let finished = false;
    const fail = (error: HttpException) => {
      if (failed) return;
      failed = true;
      body.unpipe(parser);
      body.resume();
      reject(error);
    };
    const settle = () => {
      if (!failed && finished && pendingFiles === 0) resolve({ fields: { ...fields }, files: { ...files } });
    };
    parser.on('field', (name, value, info) => {
      if (FORBIDDEN_NAMES.has(name)) return fail(new BadRequestException(`Bad upload: field name "${name}" is not allowed`));
      if (info.valueTruncated) return fail(new BadRequestException(`Bad upload: field "${name}" is too long`));
      // busboy gives no string for a field in a charset it cannot decode.
      if (typeof name !== 'string' || typeof value !== 'string')
        return fail(new BadRequestException('Bad upload: a form field is not text in a charset this service reads (send UTF-8)'));
      const problem = formFieldProblem(name) ?? formFieldProblem(value);
      if (problem) return fail(new BadRequestException(`Bad upload: ${textProblemMessage(`form field "${displayName(name)}"`, problem)}`));
      const existing = fields[name];
      fields[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    });
    parser.on('file', (name, stream, info) => {
      const spec = accepted.find((f) => f.name === name);
      if (!spec) {
        stream.resume();
        return fail(new BadRequestException(`Bad upload: unexpected file field "${name}" (expected ${accepted.map((f) => `"${f.name}"`).join(' or ')})`));
      }
      if ((files[name]?.length ?? 0) >= spec.maxCount) {
        stream.resume();
        return fail(new BadRequestException(`Bad upload: too many files in field "${name}" (at most ${spec.maxCount})`));
      }
      pendingFiles++;
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        chunks.push(chunk);
      });
      stream.on('limit', () => fail(new PayloadTooLargeException('The uploaded file is too large')));
      stream.on('error', (error: Error) => fail(new BadRequestException(`Bad upload: ${error.message}`)));
      stream.on('end', () => {
        pendingFiles--;
        if (failed) return;
        (files[name] ??= []).push({ fieldname: name, originalname: info.filename ?? '', mimetype: info.mimeType, size, buffer: Buffer.concat(chunks, size) });
        settle();
      });
    });
    parser.on('filesLimit', () => fail(new BadRequestException(`Bad upload: too many files (at most ${maxFiles})`)));
    parser.on('fieldsLimit', () => fail(new BadRequestException(`Bad upload: too many fields (at most ${limits.fields})`)));
    parser.on('partsLimit', () => fail(new BadRequestException('Bad upload: too many parts')));
    parser.on('error', (error: Error) => fail(new BadRequestException(`Bad upload: ${error.message}`)));
    parser.on('close', () => {
      finished = true;
      settle();
    });
    body.on('error', (error: Error) => fail(new BadRequestException(`Bad upload: ${error.message}`)));
    body.pipe(parser);
  });
}
