/**
 * A valid baseline greyscale JPEG of any size, built directly (jpeg-js would take many seconds to
 * encode a 3500² image): one flat grey (128) everywhere, every 8×8 block coded as "DC difference 0,
 * end of block". Decoding it still costs a decoder the full work of a large image.
 */
export function flatGreyJpeg(width: number, height: number): Buffer {
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const segment = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  // One Huffman code of length 1 ("0") for the single symbol 0: DC category 0, or AC end of block.
  const huffman = (classAndId: number) => [classAndId, 1, ...new Array(15).fill(0), 0];
  const header = [
    0xff,
    0xd8,
    ...segment(0xdb, [0, ...new Array(64).fill(1)]),
    ...segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]),
    ...segment(0xc4, huffman(0x00)),
    ...segment(0xc4, huffman(0x10)),
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]),
  ];
  const scan = Buffer.alloc(Math.ceil((blocks * 2) / 8)); // two zero bits per block
  return Buffer.concat([Buffer.from(header), scan, Buffer.from([0xff, 0xd9])]);
}
