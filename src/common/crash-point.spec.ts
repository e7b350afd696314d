import { crashPoint, stallPoint } from './crash-point';

describe('crashPoint', () => {
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
    jest.restoreAllMocks();
  });

  it('does nothing unless the point is named, then kills on the pass after the skipped ones', () => {
    const kill = jest.spyOn(process, 'kill').mockImplementation(() => true);
    crashPoint('ingest-before-commit');
    process.env.LRS_TEST_CRASH_AT = 'embedding-before-store';
    process.env.LRS_TEST_CRASH_SKIP = '1';
    crashPoint('ingest-before-commit');
    expect(kill).not.toHaveBeenCalled();
    crashPoint('embedding-before-store');
    expect(kill).not.toHaveBeenCalled();
    crashPoint('embedding-before-store');
    expect(kill).toHaveBeenCalledWith(process.pid, 'SIGKILL');
  });

  it('stalls only at the named point, for LRS_TEST_STALL_MS', () => {
    let started = Date.now();
    stallPoint('large-upload-decode');
    expect(Date.now() - started).toBeLessThan(50);
    process.env.LRS_TEST_STALL_AT = 'large-upload-decode';
    process.env.LRS_TEST_STALL_MS = '120';
    started = Date.now();
    stallPoint('large-upload-decode');
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
  });
});
