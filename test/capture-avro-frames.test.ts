import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import avro from 'avsc';
import { CAPTURE_SCHEMA, readCapture } from '../functions/capture/avro.js';
import { wholeFrames } from '../functions/capture/avroFrames.js';

/** A Capture-shaped file, and where its frames end, told by avsc's encoder: it pushes the header, then count, size, data and sync marker of each block. */
async function captureFile(bodies: Buffer[], blockSize: number): Promise<{ file: Buffer; frameEnds: number[] }> {
  const encoder = new avro.streams.BlockEncoder(CAPTURE_SCHEMA as unknown as avro.Schema, { codec: 'null', blockSize });
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

async function pieces(chunks: Buffer[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const p of wholeFrames(Readable.from(chunks))) out.push(p);
  return out;
}

const ends = (ps: Buffer[]) => ps.map((_, i) => ps.slice(0, i + 1).reduce((n, p) => n + p.length, 0));

describe('wholeFrames: download chunks regrouped at Avro frame ends', () => {
  it('every piece ends where a frame ends, and the bytes are unchanged, whatever the chunk size', async () => {
    const bodies = Array.from({ length: 40 }, (_, i) => Buffer.from(`event ${i} `.repeat(5 + (i % 7) * 30)));
    const { file, frameEnds } = await captureFile(bodies, 600);
    expect(frameEnds.length).toBeGreaterThan(10);
    for (const size of [1, 7, 500, 4096, file.length]) {
      const ps = await pieces(split(file, size));
      expect(Buffer.concat(ps).equals(file)).toBe(true);
      for (const end of ends(ps)) expect(frameEnds).toContain(end);
    }
  });

  it('one large block in 64 KiB chunks comes out as the header and the whole block', async () => {
    const { file, frameEnds } = await captureFile([Buffer.alloc(3 << 20, 'x')], 16 << 20);
    expect(frameEnds).toHaveLength(2);
    expect(ends(await pieces(split(file, 64 << 10)))).toEqual(frameEnds);
  });

  it('a cut tail, a non-Avro stream and a block of negative size pass through as they came', async () => {
    const { file, frameEnds } = await captureFile([Buffer.alloc(5000, 'a'), Buffer.alloc(5000, 'b')], 1000);
    const cut = file.subarray(0, frameEnds[1]! + 100);
    const cutPieces = await pieces(split(cut, 300));
    expect(Buffer.concat(cutPieces).equals(cut)).toBe(true);
    expect(ends(cutPieces).slice(0, -1).every((e) => frameEnds.includes(e))).toBe(true);

    const text = Buffer.from('{"records":[]}\n'.repeat(100));
    expect(Buffer.concat(await pieces(split(text, 64))).equals(text)).toBe(true);

    // Zig-zag 3 is -2: no block has a negative size, so nothing after the header is held back.
    const bad = Buffer.concat([file.subarray(0, frameEnds[0]), Buffer.from([2, 3]), Buffer.alloc(50, 1)]);
    const badPieces = await pieces(split(bad, 10));
    expect(Buffer.concat(badPieces).equals(bad)).toBe(true);
    expect(badPieces.at(-1)!.length).toBeLessThanOrEqual(10);
  });
});

describe('readCapture hands avsc whole frames', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a 3 MB block downloaded in 64 KiB chunks reaches the decoder in one write, not 48 growing copies', async () => {
    const proto = avro.streams.BlockDecoder.prototype as unknown as { _writeChunk: (chunk: Buffer, ...rest: unknown[]) => void };
    const writes: number[] = [];
    const original = proto._writeChunk;
    vi.spyOn(proto, '_writeChunk').mockImplementation(function (this: unknown, chunk: Buffer, ...rest: unknown[]) {
      if (chunk.length > 0) writes.push(chunk.length);
      return original.call(this, chunk, ...rest);
    });
    const body = Buffer.alloc(3 << 20, 'y');
    const { file, frameEnds } = await captureFile([body], 16 << 20);
    const got: number[] = [];
    for await (const e of readCapture(Readable.from(split(file, 64 << 10)))) got.push(e.body!.length);
    expect(got).toEqual([body.length]);
    expect(writes).toEqual([frameEnds[1]! - frameEnds[0]!]);
  });
});
