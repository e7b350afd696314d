import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PatientStudy, writeImage } from '../../src/archive/archive-writer.testing';

export const ORTHANC_BINARY = process.env.ORTHANC_BINARY ?? '/usr/sbin/Orthanc';
export const ORTHANC_DICOMWEB_PLUGIN = process.env.ORTHANC_DICOMWEB_PLUGIN ?? '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

/** Why Orthanc tests cannot run here, or null when Orthanc and its DICOMweb plugin are installed. */
export function orthancMissingReason(): string | null {
  if (!fs.existsSync(ORTHANC_BINARY)) return `Orthanc is not installed (${ORTHANC_BINARY}; Debian package "orthanc")`;
  if (!fs.existsSync(ORTHANC_DICOMWEB_PLUGIN))
    return `the Orthanc DICOMweb plugin is not installed (${ORTHANC_DICOMWEB_PLUGIN}; Debian package "orthanc-dicomweb")`;
  return null;
}

/** `describe` when Orthanc is installed, otherwise `describe.skip` with the reason printed once. */
export function describeWithOrthanc(name: string, body: () => void): void {
  const missing = orthancMissingReason();
  if (missing) {
    console.warn(`Skipping "${name}": ${missing}`);
    describe.skip(name, body);
  } else {
    describe(name, body);
  }
}

export interface OrthancServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The DICOMweb root a client is configured with: http://127.0.0.1:PORT/dicom-web */
  dicomWebUrl: string;
  /** Stores a DICOM file through Orthanc's REST API (POST /instances); returns Orthanc's instance id. */
  load(bytes: Uint8Array): Promise<string>;
  /** GET on Orthanc's REST API, parsed as JSON. */
  get<T = unknown>(route: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * A private Orthanc for one test file: free HTTP and DICOM ports, a temporary storage folder, the
 * DICOMweb plugin on /dicom-web/, no authentication. Everything it does not need is off, so it starts
 * in well under a second.
 */
export async function startOrthanc(): Promise<OrthancServer> {
  const missing = orthancMissingReason();
  if (missing) throw new Error(missing);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orthanc-test-'));
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const config = {
    Name: 'LRS-TEST',
    StorageDirectory: path.join(dir, 'storage'),
    IndexDirectory: path.join(dir, 'index'),
    HttpPort: httpPort,
    DicomPort: dicomPort,
    DicomAet: 'LRSTEST',
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    SslEnabled: false,
    HttpServerEnabled: true,
    DicomServerEnabled: true,
    // Not needed by the tests, and each costs start time or threads.
    LuaScripts: [],
    ConcurrentJobs: 1,
    HttpThreadsCount: 10,
    StableAge: 1,
    SaveJobs: false,
    StorageCompression: false,
    OverwriteInstances: true,
    Plugins: [ORTHANC_DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false, Ssl: false, StudiesMetadata: 'Full', SeriesMetadata: 'Full' },
  };
  const configFile = path.join(dir, 'orthanc.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  const log: string[] = [];
  const child: ChildProcess = spawn(ORTHANC_BINARY, ['--no-jobs', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => {
    log.push(chunk.toString());
    if (log.length > 200) log.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${httpPort}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Orthanc exited with ${child.exitCode}:\n${log.join('').slice(-2000)}`);
      try {
        const response = await fetch(`${url}/dicom-web/studies`, { signal: AbortSignal.timeout(1000) });
        await response.arrayBuffer();
        if (response.ok || response.status === 204) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`Orthanc did not answer within 30 s:\n${log.join('').slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    dicomWebUrl: `${url}/dicom-web`,
    load: async (bytes) => {
      const response = await fetch(`${url}/instances`, { method: 'POST', body: bytes, headers: { 'Content-Type': 'application/dicom' } });
      const body = (await response.json()) as { ID?: string; Status?: string };
      if (!response.ok || !body.ID) throw new Error(`Orthanc refused the instance: ${response.status} ${JSON.stringify(body)}`);
      return body.ID;
    },
    get: async <T>(route: string) => {
      const response = await fetch(`${url}${route}`);
      if (!response.ok) throw new Error(`Orthanc GET ${route}: ${response.status}`);
      return (await response.json()) as T;
    },
    stop,
  };
}

/** A TCP port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Stores a CT series of `slices` instances in Orthanc: SOP UIDs `${seriesUid}.1…`, z = 100 + 2.5 i, 3.2 mm pixels, `hu` in turn. */
export async function loadCtSeries(
  orthanc: OrthancServer,
  study: PatientStudy,
  seriesUid: string,
  slices: number,
  hu: Float32Array[],
  side: number,
): Promise<void> {
  for (let i = 0; i < slices; i++) {
    await orthanc.load(
      writeImage({
        ...study,
        seriesUid,
        sopUid: `${seriesUid}.${i + 1}`,
        instanceNumber: i + 1,
        z: 100 + 2.5 * i,
        pixelSpacing: 3.2,
        width: side,
        height: side,
        hu: hu[i % hu.length],
      }),
    );
  }
}

/** The DICOMweb cache's files (study folder/instance file) with their inodes: the same inode means the file was not fetched again. */
export function cachedInodes(cacheDir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const study of fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : [])
    for (const f of fs.readdirSync(path.join(cacheDir, study))) out.set(`${study}/${f}`, fs.statSync(path.join(cacheDir, study, f)).ino);
  return out;
}
