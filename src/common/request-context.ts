import { AsyncLocalStorage } from 'node:async_hooks';

/** What log lines written while serving a request can know about it, without passing it down. */
export interface RequestContext {
  requestId: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();
