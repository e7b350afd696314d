// Test helper shared by the xlsx specs (not part of the service).
import { deflateRawSync } from 'node:zlib';

/** Writes a ZIP archive by hand (the reader does not check CRCs, so they are left 0). */
export function buildZip(entries: { name: string; text: string; stored?: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, text, stored } of entries) {
    const raw = Buffer.from(text, 'utf8');
    const data = stored ? raw : deflateRawSync(raw);
    const nameBytes = Buffer.from(name, 'utf8');
    // The central header repeats the local one's fields from "version needed" on, 2 bytes further in.
    const header = (size: number, signature: number, at: number) => {
      const buffer = Buffer.alloc(size);
      buffer.writeUInt32LE(signature, 0);
      buffer.writeUInt16LE(stored ? 0 : 8, at + 4);
      buffer.writeUInt32LE(data.length, at + 14);
      buffer.writeUInt32LE(raw.length, at + 18);
      buffer.writeUInt16LE(nameBytes.length, at + 22);
      return buffer;
    };
    const local = header(30, 0x04034b50, 4);
    const central = header(46, 0x02014b50, 6);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
