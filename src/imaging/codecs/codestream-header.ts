/**
 * Reads the image size, precision and components a compressed frame declares, without decoding it, so
 * the decoder is only handed a frame whose output matches the DICOM header (Rows × Columns × samples):
 * a hostile codestream declaring 65535² never reaches an allocation.
 */
export interface CodestreamHeader {
  width: number;
  height: number;
  /** Bits per sample (JPEG P, JPEG-LS P, JPEG 2000 Ssiz + 1). */
  precision: number;
  components: number;
  /** The JPEG start-of-frame marker (0xC0 baseline, 0xC1 extended, 0xC3 lossless, 0xF7 JPEG-LS); null for JPEG 2000. */
  sofMarker: number | null;
}

export class CodestreamError extends Error {}

// SOFn markers: C0–CF except C4 (DHT), C8 (JPG) and CC (DAC); F7 is JPEG-LS's SOF55.
function isStartOfFrame(marker: number): boolean {
  return (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7;
}

/** The frame header of a JPEG (ISO 10918: baseline, extended, lossless) or JPEG-LS (ISO 14495) stream. */
export function readJpegFrameHeader(bytes: Uint8Array): CodestreamHeader {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new CodestreamError('no JPEG start-of-image marker');
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) throw new CodestreamError(`no JPEG marker at byte ${offset}`);
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      offset += 2; // markers without a length
      continue;
    }
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    if (length < 2) throw new CodestreamError(`JPEG segment with length ${length}`);
    if (isStartOfFrame(marker)) {
      if (offset + 10 > bytes.length) break;
      return {
        precision: bytes[offset + 4],
        height: (bytes[offset + 5] << 8) | bytes[offset + 6],
        width: (bytes[offset + 7] << 8) | bytes[offset + 8],
        components: bytes[offset + 9],
        sofMarker: marker,
      };
    }
    if (marker === 0xda || marker === 0xd9) throw new CodestreamError('JPEG stream has no frame header before its scan');
    offset += 2 + length;
  }
  throw new CodestreamError('JPEG stream ends before its frame header');
}

/** The SIZ segment of a JPEG 2000 / HTJ2K codestream (a JP2 wrapper is looked through for its codestream). */
export function readJ2kHeader(bytes: Uint8Array): CodestreamHeader {
  let offset = 0;
  if (!(bytes[0] === 0xff && bytes[1] === 0x4f)) {
    // JP2 file format: the codestream starts inside the 'jp2c' box; search the first few KiB only.
    const limit = Math.min(bytes.length - 4, 4096);
    offset = -1;
    for (let i = 0; i < limit; i++) {
      if (bytes[i] === 0xff && bytes[i + 1] === 0x4f && bytes[i + 2] === 0xff && bytes[i + 3] === 0x51) {
        offset = i;
        break;
      }
    }
    if (offset < 0) throw new CodestreamError('no JPEG 2000 start-of-codestream marker');
  }
  // SOC, SIZ marker, then Lsiz Rsiz Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz Csiz and the first Ssiz.
  if (offset + 4 + 39 > bytes.length || bytes[offset + 2] !== 0xff || bytes[offset + 3] !== 0x51) {
    throw new CodestreamError('JPEG 2000 codestream without its SIZ segment');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset + 4);
  const xSize = view.getUint32(4);
  const ySize = view.getUint32(8);
  const xOffset = view.getUint32(12);
  const yOffset = view.getUint32(16);
  const components = view.getUint16(36);
  const ssiz = bytes[offset + 4 + 38];
  if (xSize <= xOffset || ySize <= yOffset) throw new CodestreamError('JPEG 2000 image area is empty');
  return { width: xSize - xOffset, height: ySize - yOffset, precision: (ssiz & 0x7f) + 1, components, sofMarker: null };
}
