import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { CAPTURE_SCHEMA, readCaptureParts } from '../functions/capture/avro.js';
import { CaptureUnreadable, DAMAGED_PIECE_BYTES, containerFrames, type Frame } from '../functions/capture/avroFrames.js';

/** A Capture-shaped file, and where its frames end, told by avsc's encoder: it pushes the header, then count, size, data and sync marker of each block. */
async function captureFile(bodies: Buffer[], blockSize: number, codec: 'null' | 'deflate' = 'null'): Promise<{ file: Buffer; frameEnds: number[] }> {
  const encoder = new avro.streams.BlockEncoder(CAPTURE_SCHEMA as unknown as avro.Schema, { codec, blockSize });
  const pushes: Buffer[] = [];
  encoder.on('data', (c: Buffer) => pushes.push(c));
  const done = new Promise((resolve) => encoder.on('end', resolve));
  bodies.forEach((Body, i) => encoder.write({ SequenceNumber: i, Offset: String(i), EnqueuedTimeUtc: '', SystemProperties: {}, Properties: {}, Body }));
  encoder.end();
  await done;
  const frameEnds: number[] = [];
  let at = 0;
  pushes.forEach((p, i) => {
    at += p.length;
    if (i % 4 === 0) frameEnds.push(at);
  });
  return { file: Buffer.concat(pushes), frameEnds };
}

const split = (buf: Buffer, n: number) => Array.from({ length: Math.ceil(buf.length / n) }, (_, i) => buf.subarray(i * n, (i + 1) * n));

async function frames(chunks: Buffer[]): Promise<Frame[]> {
  const out: Frame[] = [];
  for await (const f of containerFrames(Readable.from(chunks))) out.push(f);
  return out;
}

/** Each frame's bytes in the file, in order; they must follow one another. */
function spans(fs: Frame[]): { kind: Frame['kind']; start: number; end: number; bytes?: Buffer }[] {
  let at = 0;
  return fs.map((f) => {
    const start = f.kind === 'header' ? 0 : f.at;
    expect(start).toBe(at);
    const bytes = f.kind === 'header' ? undefined : f.kind === 'block' ? f.frame : f.bytes;
    at = start + (f.kind === 'header' ? f.bytes : bytes!.length);
    return { kind: f.kind, start, end: at, ...(bytes ? { bytes } : {}) };
  });
}

/** Every byte of `file` is in one frame, in file order and unchanged. */
function coversExactly(fs: Frame[], file: Buffer): void {
  const s = spans(fs);
  expect(s.at(-1)?.end ?? 0).toBe(file.length);
  for (const { start, end, bytes } of s) if (bytes) expect(bytes.equals(file.subarray(start, end))).toBe(true);
}

describe('containerFrames: download chunks regrouped into whole Avro frames', () => {
  it('every block ends where the writer ended it, and every byte comes out once, whatever the chunk size', async () => {
    const bodies = Array.from({ length: 40 }, (_, i) => Buffer.from(`event ${i} `.repeat(5 + (i % 7) * 30)));
    for (const codec of ['null', 'deflate'] as const) {
      const { file, frameEnds } = await captureFile(bodies, 600, codec);
      expect(frameEnds.length).toBeGreaterThan(10);
      for (const size of [1, 7, 500, 4096, file.length]) {
        const fs = await frames(split(file, size));
        coversExactly(fs, file);
        expect(spans(fs).map((s) => s.end)).toEqual(frameEnds);
        expect(fs.slice(1).every((f) => f.kind === 'block')).toBe(true);
      }
    }
  });

  it('one large block in 64 KiB chunks comes out as the header and the whole block, in one buffer', async () => {
    const { file, frameEnds } = await captureFile([Buffer.alloc(3 << 20, 'x')], 16 << 20);
    expect(frameEnds).toHaveLength(2);
    const fs = await frames(split(file, 64 << 10));
    expect(fs.map((f) => f.kind)).toEqual(['header', 'block']);
    expect(spans(fs).map((s) => s.end)).toEqual(frameEnds);
  });

  it('a cut tail comes out as a tail; damage as damaged bytes up to the next sync marker, after which blocks come out again', async () => {
    const { file, frameEnds } = await captureFile(['a', 'b', 'c', 'd', 'e', 'f'].map((c) => Buffer.alloc(5000, c)), 1000);
    const blocks = frameEnds.length - 1;
    expect(blocks).toBeGreaterThanOrEqual(3);
    const cut = file.subarray(0, frameEnds[2]! + 100);
    const cutFrames = await frames(split(cut, 300));
    coversExactly(cutFrames, cut);
    expect(cutFrames.map((f) => f.kind)).toEqual(['header', 'block', 'block', 'tail']);

    // Zig-zag 3 is -2: no block has a negative size. The bytes up to the second block's marker are damage.
    const bad = Buffer.concat([file.subarray(0, frameEnds[1]), Buffer.from([2, 3]), Buffer.alloc(50, 1), file.subarray(frameEnds[1])]);
    const badFrames = await frames(split(bad, 10));
    coversExactly(badFrames, bad);
    expect(badFrames.map((f) => f.kind)).toEqual(['header', 'block', 'damaged', ...Array<string>(blocks - 2).fill('block')]);
    expect(spans(badFrames)[2]).toMatchObject({ start: frameEnds[1], end: frameEnds[2]! + 52 });
  });

  it('a damaged stretch longer than a piece comes out in pieces, so it is never held whole', async () => {
    const { file, frameEnds } = await captureFile(['a', 'b', 'c'].map((c) => Buffer.from(c)), 1);
    expect(frameEnds.length).toBeGreaterThanOrEqual(3);
    const junk = Buffer.alloc(2 * DAMAGED_PIECE_BYTES + 123, 0xff);
    const damaged = Buffer.concat([file.subarray(0, frameEnds[1]), junk, file.subarray(frameEnds[1])]);
    const fs = await frames(split(damaged, 64 << 10));
    coversExactly(fs, damaged);
    const after = Array<string>(frameEnds.length - 3).fill('block');
    expect(fs.map((f) => (f.kind === 'damaged' ? f.bytes.length : f.kind))).toEqual(['header', 'block', DAMAGED_PIECE_BYTES, DAMAGED_PIECE_BYTES, 123 + frameEnds[2]! - frameEnds[1]!, ...after]);
  });

  it('a stream that is no container file is refused (CaptureUnreadable, no retry)', async () => {
    const text = Buffer.from('{"records":[]}\n'.repeat(100));
    await expect(frames(split(text, 64))).rejects.toThrow(CaptureUnreadable);
    await expect(frames(split(text, 64))).rejects.toMatchObject({ retry: false, message: expect.stringContaining('not an Avro object container file') });
  });

  it('garbled bytes anywhere after the header: every byte still comes out once, and reading ends without an error', async () => {
    let seed = 7;
    const random = (n: number): number => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n);
    const bodies = Array.from({ length: 40 }, (_, i) => Buffer.from(`{"records":[${'x'.repeat(i * 7)}]}`));
    for (const codec of ['null', 'deflate'] as const) {
      const { file, frameEnds } = await captureFile(bodies, 300, codec);
      for (let run = 0; run < 60; run++) {
        const garbled = Buffer.from(file);
        for (let k = 1 + random(3); k > 0; k--) {
          const at = frameEnds[0]! + random(file.length - frameEnds[0]!);
          garbled.fill(random(256), at, at + 1 + random(20));
        }
        const chunks = split(garbled, 1 + random(3000));
        coversExactly(await frames(chunks), garbled);
        for await (const _ of readCaptureParts(Readable.from(chunks)));
      }
    }
  });
});
