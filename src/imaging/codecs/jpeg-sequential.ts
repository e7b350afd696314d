import { CodecError } from './frame';

/**
 * A small decoder for sequential DCT JPEG with Huffman coding (ITU T.81 processes 1, 2 and 4) and one
 * colour component: what CT archives hold as JPEG Extended 12-bit (1.2.840.10008.1.2.4.51). None of the
 * registry's WASM codecs decodes 12-bit lossy JPEG (libjpeg-turbo's build is 8-bit only), so this covers
 * that gap; 8-bit streams still go to libjpeg-turbo, which is faster.
 *
 * Every length and count read from the stream is checked against the bytes that are there; a broken
 * stream is a CodecError (422), a kind we do not decode (progressive, arithmetic, several components) a 415.
 */
export interface SequentialJpeg {
  width: number;
  height: number;
  precision: 8 | 12;
  /** Row-major samples, 0..2^precision − 1. */
  samples: Uint16Array;
}

// Position k of the zig-zag sequence → index in the 8×8 block (row-major).
const ZIGZAG = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22,
  15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

// IDCT basis: BASIS[x * 8 + u] = C(u)/2 · cos((2x+1)uπ/16), so a 1-D pass is out[x] = Σu BASIS[x,u]·in[u].
const BASIS = new Float64Array(64);
for (let x = 0; x < 8; x++) {
  for (let u = 0; u < 8; u++) BASIS[x * 8 + u] = ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
}

/** Canonical Huffman table in the form of T.81 Annex F.2.2.3 (maxcode / valptr / mincode per code length). */
interface HuffmanTable {
  maxCode: Int32Array;
  valPtr: Int32Array;
  minCode: Int32Array;
  values: Uint8Array;
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const maxCode = new Int32Array(18).fill(-1);
  const valPtr = new Int32Array(17);
  const minCode = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1];
    if (n) {
      valPtr[length] = k;
      minCode[length] = code;
      code += n;
      k += n;
      maxCode[length] = code - 1;
    }
    // A code space over-full for its length means the table is corrupt.
    if (code > 1 << length) throw new CodecError('corrupt JPEG frame: a Huffman table has more codes than its lengths allow');
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff;
  return { maxCode, valPtr, minCode, values };
}

/** Reads entropy-coded bits, removing stuffed zero bytes and stopping at markers. */
class BitReader {
  private bits = 0;
  private count = 0;
  /** Zero bits handed out after a marker or the end: a few are normal padding, many mean a cut stream. */
  private padding = 0;
  marker: number | null = null;

  constructor(
    private readonly data: Uint8Array,
    public position: number,
  ) {}

  private fill(): void {
    while (this.count <= 24) {
      let byte = 0;
      if (this.marker === null && this.position < this.data.length) {
        byte = this.data[this.position++];
        if (byte === 0xff) {
          const next = this.data[this.position];
          if (next === 0x00) this.position++;
          else {
            this.marker = next ?? 0xd9;
            this.position--;
            byte = 0;
            this.padding += 8;
          }
        }
      } else {
        this.padding += 8;
      }
      if (this.padding > 256) throw new CodecError('corrupt JPEG frame: the entropy-coded data ends before the image does');
      this.bits = (this.bits << 8) | byte;
      this.count += 8;
    }
  }

  bit(): number {
    if (this.count === 0) this.fill();
    this.count--;
    return (this.bits >>> this.count) & 1;
  }

  receive(length: number): number {
    if (this.count < length) this.fill();
    this.count -= length;
    return (this.bits >>> this.count) & ((1 << length) - 1);
  }

  /** At a restart: drops the partial byte, expects RSTn and resumes after it. */
  restart(): void {
    this.bits = 0;
    this.count = 0;
    this.padding = 0;
    if (this.marker === null) {
      // Fill bits of the last byte may stand before the marker.
      while (this.position < this.data.length && this.data[this.position] !== 0xff) this.position++;
      this.marker = this.data[this.position + 1] ?? null;
    }
    if (this.marker === null || this.marker < 0xd0 || this.marker > 0xd7) throw new CodecError('corrupt JPEG frame: a restart marker is missing');
    this.position += 2;
    this.marker = null;
  }
}

function decodeHuffman(reader: BitReader, table: HuffmanTable): number {
  let code = reader.bit();
  let length = 1;
  while (code > table.maxCode[length]) {
    code = (code << 1) | reader.bit();
    if (++length > 16) throw new CodecError('corrupt JPEG frame: an invalid Huffman code');
  }
  const index = table.valPtr[length] + code - table.minCode[length];
  if (index >= table.values.length) throw new CodecError('corrupt JPEG frame: an invalid Huffman code');
  return table.values[index];
}

/** T.81 F.2.2.1 EXTEND: a magnitude category's bits to a signed value. */
function extend(value: number, category: number): number {
  return value < 1 << (category - 1) ? value - (1 << category) + 1 : value;
}

interface Frame {
  precision: 8 | 12;
  width: number;
  height: number;
  componentId: number;
  quantTable: number;
}

/**
 * Decodes a sequential Huffman JPEG with one component. `expected` (the DICOM header's Columns × Rows)
 * is checked against the frame header before any sample buffer is allocated.
 */
export function decodeSequentialJpeg(bytes: Uint8Array, expected: { width: number; height: number }): SequentialJpeg {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new CodecError('corrupt JPEG frame: no start-of-image marker');
  const quant: (Int32Array | undefined)[] = [];
  const dcTables: (HuffmanTable | undefined)[] = [];
  const acTables: (HuffmanTable | undefined)[] = [];
  let frame: Frame | null = null;
  let restartInterval = 0;
  let position = 2;

  const segment = (): { start: number; end: number } => {
    if (position + 2 > bytes.length) throw new CodecError('corrupt JPEG frame: a segment is cut short');
    const length = (bytes[position] << 8) | bytes[position + 1];
    const end = position + length;
    if (length < 2 || end > bytes.length) throw new CodecError('corrupt JPEG frame: a segment is longer than the data');
    return { start: position + 2, end };
  };

  while (position < bytes.length) {
    if (bytes[position] !== 0xff) throw new CodecError('corrupt JPEG frame: expected a marker');
    const marker = bytes[position + 1];
    position += 2;
    if (marker === 0xff) {
      position--; // fill byte
      continue;
    }
    if (marker === 0xd9) break;
    const { start, end } = segment();
    switch (marker) {
      case 0xdb: {
        // DQT: one or more tables, 8- or 16-bit entries in zig-zag order.
        let p = start;
        while (p < end) {
          const wide = bytes[p] >> 4;
          const id = bytes[p] & 15;
          p++;
          const size = wide ? 128 : 64;
          if (id > 3 || p + size > end) throw new CodecError('corrupt JPEG frame: a quantisation table is malformed');
          const table = new Int32Array(64);
          for (let k = 0; k < 64; k++) table[k] = wide ? (bytes[p + 2 * k] << 8) | bytes[p + 2 * k + 1] : bytes[p + k];
          quant[id] = table;
          p += size;
        }
        break;
      }
      case 0xc4: {
        // DHT: one or more tables.
        let p = start;
        while (p < end) {
          const tableClass = bytes[p] >> 4;
          const id = bytes[p] & 15;
          if (tableClass > 1 || id > 3 || p + 17 > end) throw new CodecError('corrupt JPEG frame: a Huffman table is malformed');
          const counts = bytes.subarray(p + 1, p + 17);
          const total = counts.reduce((sum, n) => sum + n, 0);
          if (total > 256 || p + 17 + total > end) throw new CodecError('corrupt JPEG frame: a Huffman table is malformed');
          const table = buildHuffman(counts, bytes.slice(p + 17, p + 17 + total));
          (tableClass === 0 ? dcTables : acTables)[id] = table;
          p += 17 + total;
        }
        break;
      }
      case 0xc0:
      case 0xc1: {
        const precision = bytes[start];
        const height = (bytes[start + 1] << 8) | bytes[start + 2];
        const width = (bytes[start + 3] << 8) | bytes[start + 4];
        const components = bytes[start + 5];
        if (precision !== 8 && precision !== 12) throw new CodecError(`JPEG sample precision ${precision} is not 8 or 12 bits`, 415);
        if (components !== 1)
          throw new CodecError(`sequential JPEG with ${components} components and ${precision}-bit samples is not supported; send one component`, 415);
        if (end - start < 9) throw new CodecError('corrupt JPEG frame: the frame header is cut short');
        if (width !== expected.width || height !== expected.height) {
          throw new CodecError(`JPEG frame is ${width}x${height} but the DICOM header says Columns x Rows ${expected.width}x${expected.height}`);
        }
        frame = { precision, width, height, componentId: bytes[start + 6], quantTable: bytes[start + 8] & 15 };
        break;
      }
      case 0xc2:
      case 0xc3:
      case 0xc5:
      case 0xc6:
      case 0xc7:
      case 0xc9:
      case 0xca:
      case 0xcb:
      case 0xcd:
      case 0xce:
      case 0xcf:
        throw new CodecError(`JPEG process with frame marker 0xFF${marker.toString(16).toUpperCase()} is not sequential Huffman DCT`, 415);
      case 0xdd:
        if (end - start < 2) throw new CodecError('corrupt JPEG frame: the restart interval is cut short');
        restartInterval = (bytes[start] << 8) | bytes[start + 1];
        break;
      case 0xda: {
        if (!frame) throw new CodecError('corrupt JPEG frame: the scan comes before the frame header');
        const count = bytes[start];
        if (count !== 1 || bytes[start + 1] !== frame.componentId) throw new CodecError("corrupt JPEG frame: the scan does not name the frame's component");
        const dc = dcTables[bytes[start + 2] >> 4];
        const ac = acTables[bytes[start + 2] & 15];
        const q = quant[frame.quantTable];
        if (!dc || !ac || !q) throw new CodecError('corrupt JPEG frame: the scan uses a table that was never defined');
        return { width: frame.width, height: frame.height, precision: frame.precision, samples: decodeScan(bytes, end, frame, q, dc, ac, restartInterval) };
      }
      default:
        // APPn, COM and others: skipped.
        break;
    }
    position = end;
  }
  throw new CodecError('corrupt JPEG frame: no scan');
}

function decodeScan(bytes: Uint8Array, start: number, frame: Frame, q: Int32Array, dc: HuffmanTable, ac: HuffmanTable, restartInterval: number): Uint16Array {
  const { width, height, precision } = frame;
  const blocksAcross = Math.ceil(width / 8);
  const blocksDown = Math.ceil(height / 8);
  const samples = new Uint16Array(width * height);
  const maxSample = (1 << precision) - 1;
  const levelShift = 1 << (precision - 1);
  const reader = new BitReader(bytes, start);
  const coefficients = new Float64Array(64);
  const rows = new Float64Array(64);
  let predictor = 0;
  const total = blocksAcross * blocksDown;
  for (let block = 0; block < total; block++) {
    if (restartInterval && block > 0 && block % restartInterval === 0) {
      reader.restart();
      predictor = 0;
    }
    coefficients.fill(0);
    const category = decodeHuffman(reader, dc);
    if (category > 16) throw new CodecError('corrupt JPEG frame: a DC difference is out of range');
    if (category) predictor += extend(reader.receive(category), category);
    coefficients[0] = predictor * q[0];
    for (let k = 1; k < 64;) {
      const rs = decodeHuffman(reader, ac);
      const run = rs >> 4;
      const size = rs & 15;
      if (size === 0) {
        if (run !== 15) break; // end of block
        k += 16;
        continue;
      }
      k += run;
      if (k > 63) throw new CodecError('corrupt JPEG frame: AC coefficients run past the block');
      coefficients[ZIGZAG[k]] = extend(reader.receive(size), size) * q[k];
      k++;
    }
    // Separable IDCT: rows (u → x) then columns (v → y).
    for (let v = 0; v < 8; v++) {
      for (let x = 0; x < 8; x++) {
        let sum = 0;
        for (let u = 0; u < 8; u++) sum += BASIS[x * 8 + u] * coefficients[v * 8 + u];
        rows[v * 8 + x] = sum;
      }
    }
    const bx = (block % blocksAcross) * 8;
    const by = Math.floor(block / blocksAcross) * 8;
    for (let y = 0; y < 8 && by + y < height; y++) {
      for (let x = 0; x < 8 && bx + x < width; x++) {
        let sum = 0;
        for (let v = 0; v < 8; v++) sum += BASIS[y * 8 + v] * rows[v * 8 + x];
        const value = Math.round(sum) + levelShift;
        samples[(by + y) * width + bx + x] = value < 0 ? 0 : value > maxSample ? maxSample : value;
      }
    }
  }
  return samples;
}
