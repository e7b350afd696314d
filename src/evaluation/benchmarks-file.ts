import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** One line naming the machine, for every benchmark section. */
export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${new Date().toISOString().slice(0, 10)} on ${os.cpus().length}× ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}`;
}

/** Replaces (or appends) the section between `<!-- bench:NAME -->` markers in docs/BENCHMARKS.md. */
export function writeSection(name: string, markdown: string, file = benchmarksFile()): void {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const current = fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8')
    : '# Benchmarks\n\nWritten by `npm run bench:*`; each section names its machine and date. Ratios compare runs made in the same process on the same data.\n';
  const pattern = new RegExp(`${escape(start)}[\\s\\S]*?${escape(end)}`);
  const next = pattern.test(current) ? current.replace(pattern, block) : `${current.trimEnd()}\n\n${block}\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, next);
}

function benchmarksFile(): string {
  // Works from bench/ (ts-node) and dist/bench/ (compiled).
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return path.join(dir, 'docs', 'BENCHMARKS.md');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
