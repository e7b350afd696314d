// Medium and e2e tests start a whole app, run migrations and ingest data: give them time.
jest.setTimeout(180_000);
