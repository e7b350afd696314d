import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Injectable } from '@nestjs/common';
import { DicomWebSource } from '../config/dicomweb-sources';

/** Why a DICOMweb request gave no usable answer; the service turns it into the HTTP answer naming the source. */
export class DicomWebError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'timeout' | 'not-found' | 'too-large' | 'status',
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

export interface DicomWebResponse {
  status: number;
  contentType: string | null;
  body: Buffer;
}

export interface DicomWebRequest {
  method?: 'GET' | 'POST';
  accept: string;
  body?: Buffer;
  contentType?: string;
  timeoutMs: number;
  maxBytes: number;
  /** Aborts with the caller (the request-timeout interceptor's signal). */
  signal?: AbortSignal;
}

/**
 * Every byte this service exchanges with a PACS: HTTP requests with a deadline and a bounded body (read
 * as a stream and abandoned past the bound), and the files a study retrieval writes.
 */
@Injectable()
export class DicomWebRepository {
  async request(source: DicomWebSource, pathAndQuery: string, options: DicomWebRequest): Promise<DicomWebResponse> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    const headers: Record<string, string> = { Accept: options.accept };
    if (source.authorization) headers.Authorization = source.authorization;
    if (options.contentType) headers['Content-Type'] = options.contentType;
    let response: Response;
    try {
      response = await fetch(`${source.baseUrl}${pathAndQuery}`, { method: options.method ?? 'GET', headers, body: options.body, signal, redirect: 'error' });
    } catch (error) {
      throw this.failure(error, timeout, options.timeoutMs);
    }
    try {
      if (response.status === 404) {
        await response.body?.cancel();
        throw new DicomWebError('not-found', 'not found', 404);
      }
      const declared = Number(response.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        await response.body?.cancel();
        throw new DicomWebError('too-large', `answer of ${declared} bytes`, response.status);
      }
      const body = await readBounded(response, options.maxBytes);
      return { status: response.status, contentType: response.headers.get('content-type'), body };
    } catch (error) {
      if (error instanceof DicomWebError) throw error;
      throw this.failure(error, timeout, options.timeoutMs);
    }
  }

  /** Writes one retrieved instance into a folder (created if needed), as `name`. */
  async writeInstance(folder: string, name: string, bytes: Uint8Array): Promise<void> {
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, name), bytes);
  }

  private failure(error: unknown, timeout: AbortSignal, timeoutMs: number): DicomWebError {
    if (timeout.aborted) return new DicomWebError('timeout', `no answer within ${timeoutMs} ms`);
    const name = (error as Error)?.name;
    if (name === 'AbortError' || name === 'TimeoutError') return new DicomWebError('timeout', 'the request was stopped');
    return new DicomWebError('unreachable', 'connection failed');
  }
}

async function readBounded(response: Response, maxBytes: number): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new DicomWebError('too-large', `answer over ${maxBytes} bytes`, response.status);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}
