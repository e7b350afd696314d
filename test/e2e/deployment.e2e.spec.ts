import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
if (!hasCompose) console.log('[deployment e2e] docker-compose config skipped: docker-compose is not on PATH (apt-get install -y docker-compose)');

/** The documented deployment (docker-compose.yml, Dockerfile): valid, and shaped as the README says. */
describe('deployment files', () => {
  (hasCompose ? it : it.skip)('docker-compose.yml validates (docker-compose config -q) with 2 API replicas, a worker, Redis and one shared DATA_DIR', () => {
    execFileSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config', '-q'], { cwd: ROOT, stdio: 'pipe' });
    const resolved = execFileSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config'], { cwd: ROOT, encoding: 'utf8' });
    const service = (name: string) => {
      const start = resolved.indexOf(`\n  ${name}:\n`);
      expect(start).toBeGreaterThan(-1);
      const next = resolved.slice(start + 1).search(/\n {2}[a-z-]+:\n|\nvolumes:\n/);
      return resolved.slice(start, next < 0 ? undefined : start + 1 + next);
    };
    const api = service('api');
    const worker = service('worker');
    expect(api).toMatch(/ROLE: api/);
    expect(api).toMatch(/replicas: 2/);
    expect(api).toMatch(/REDIS_URL: redis:\/\/redis:6379/);
    expect(worker).toMatch(/ROLE: worker/);
    expect(worker).toMatch(/replicas: 1/);
    for (const s of [api, worker]) {
      expect(s).toMatch(/- appdata:\/data(:rw)?$/m);
      expect(s).toMatch(/condition: service_completed_successfully/);
    }
    expect(service('redis')).toMatch(/image: redis/);
    expect(service('db')).toMatch(/image: postgres/);
    expect(service('migrate')).toMatch(/dist\/src\/cli\/main\.js/);
  });

  it('builds the image in stages (npm ci, build), runs as a non-root user and probes /health/live', () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const stages = dockerfile.match(/^FROM .*/gm) ?? [];
    expect(stages).toEqual(['FROM node:20-bookworm-slim AS build', 'FROM node:20-bookworm-slim']);
    expect(dockerfile).toMatch(/RUN npm ci\n/);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/^USER lesions$/m);
    expect(dockerfile).not.toMatch(/^USER root$/m);
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/health\/live/);
    // npm ci at container start was the old compose file's way; the image carries its build.
    expect(dockerfile).not.toMatch(/CMD.*npm ci/);
  });
});
