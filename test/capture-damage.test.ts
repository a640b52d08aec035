// Damaged and hostile capture files through readCapture / readCaptureParts: empty blocks,
// deflate bombs, sizes and counts that are no sizes or counts, headers that never end. Each
// must end (bounded time and memory) with the events that can be read, and the rest as
// damage saying where and why. No Azurite: test/eventgrid.test.ts replays such files end to end.
import { Readable } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { CAPTURE_SCHEMA, CaptureUnreadable, readCapture, readCaptureParts, writeCapture, type CapturePart } from '../functions/capture/avro.js';
import { MAX_BLOCK_BYTES, MAX_HEADER_BYTES } from '../functions/capture/avroFrames.js';

type Codec = 'null' | 'deflate';
const LONG = avro.Type.forSchema('long');
const long = (n: number): Buffer => LONG.toBuffer(n);
const RECORD = avro.Type.forSchema(CAPTURE_SCHEMA as unknown as avro.Schema);
const record = (n: number, body: Buffer = Buffer.from(`{"n":${n}}`)): Buffer =>
  RECORD.toBuffer({ SequenceNumber: n, Offset: String(n * 10), EnqueuedTimeUtc: '', SystemProperties: {}, Properties: {}, Body: body });

/** A block as the spec frames it: object count, byte size, data, sync marker. */
const block = (count: number, data: Buffer, sync: Buffer): Buffer => Buffer.concat([long(count), long(data.length), data, sync]);
const emptyBlock = (codec: Codec, sync: Buffer): Buffer => block(0, codec === 'deflate' ? deflateRawSync(Buffer.alloc(0)) : Buffer.alloc(0), sync);

/** The header writeCapture writes (up to the first sync marker: a file ends with one), and a block of one event for each of `seqs`. */
async function captureOf(seqs: number[], codec: Codec) {
  const file = await writeCapture([{ sequenceNumber: 0, offset: '0', enqueuedTimeUtc: '', body: null }], codec);
  const sync = file.subarray(file.length - 16);
  const header = file.subarray(0, file.indexOf(sync) + 16);
  const blocks = seqs.map((n) => block(1, codec === 'deflate' ? deflateRawSync(record(n)) : record(n), sync));
  // Sanity: the writer's reader takes them.
  expect(await strict(Buffer.concat([header, ...blocks]))).toEqual({ seqs, error: '' });
  return { sync, header, blocks };
}

const split = (buf: Buffer, n: number): Buffer[] => Array.from({ length: Math.ceil(buf.length / n) }, (_, i) => buf.subarray(i * n, (i + 1) * n));
const stream = (file: Buffer, chunk = file.length): Readable => Readable.from(split(file, chunk));

/** Rejects when `p` has not settled in `ms`: a reader that hangs fails here, not at the suite's timeout. */
function settle<T>(p: Promise<T>, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`never settled in ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The sequence numbers readCapture yields, and the error it ends with ('' when none). */
async function strict(source: Readable | Buffer): Promise<{ seqs: number[]; error: unknown }> {
  const seqs: number[] = [];
  try {
    for await (const e of readCapture(source)) seqs.push(e.sequenceNumber);
  } catch (error) {
    return { seqs, error };
  }
  return { seqs, error: '' };
}

/** readCaptureParts, each part as a sequence number or the damaged bytes. */
async function parts(source: Readable | Buffer): Promise<(number | { at: number; bytes: Buffer; reason: string } | { tail: Buffer })[]> {
  const out: Awaited<ReturnType<typeof parts>> = [];
  for await (const p of readCaptureParts(source) as AsyncGenerator<CapturePart>) {
    if (p.kind === 'event') out.push(p.event.sequenceNumber);
    else if (p.kind === 'damaged') out.push({ at: p.at, bytes: p.bytes, reason: p.reason });
    else out.push({ tail: p.bytes });
  }
  return out;
}

describe('an empty block (object count 0, which the Avro spec allows)', () => {
  for (const codec of ['null', 'deflate'] as const) {
    it(`is passed over mid-file and at the end, in one write or in small chunks (${codec})`, async () => {
      const { sync, header, blocks } = await captureOf([1, 2, 3], codec);
      const empty = emptyBlock(codec, sync);
      // avsc's decoder stopped for good at an empty block followed by others in the same write.
      const file = Buffer.concat([header, blocks[0]!, empty, blocks[1]!, empty, empty, blocks[2]!, empty]);
      for (const chunk of [file.length, 7]) expect(await settle(strict(stream(file, chunk)))).toEqual({ seqs: [1, 2, 3], error: '' });
    });
  }

  it('whose sync marker is not the file\'s is damage, up to the next marker', async () => {
    const { sync, header, blocks } = await captureOf([1, 2, 3], 'null');
    const bad = block(0, Buffer.alloc(0), Buffer.alloc(16, 7));
    const file = Buffer.concat([header, blocks[0]!, bad, blocks[1]!, blocks[2]!]);
    expect(await settle(parts(file))).toEqual([1, { at: header.length + blocks[0]!.length, bytes: Buffer.concat([bad, blocks[1]!]), reason: 'a block not followed by the sync marker' }, 3]);
    expect(sync.equals(Buffer.alloc(16, 7))).toBe(false);
  });
});

describe('limits per block and header', () => {
  it(`a deflate block that inflates past ${MAX_BLOCK_BYTES} bytes is damage (a bomb costs the limit, not its size); reading goes on`, async () => {
    const { sync, header, blocks } = await captureOf([1, 3], 'deflate');
    // ~80 KB that inflate to 80 MiB: avsc inflated without a limit (1 MB of it made 1 GiB).
    const bomb = block(1, deflateRawSync(record(2, Buffer.alloc(80 << 20))), sync);
    const file = Buffer.concat([header, blocks[0]!, bomb, blocks[1]!]);
    const read = await strict(file);
    expect(read.seqs).toEqual([1]);
    expect(read.error).toBeInstanceOf(CaptureUnreadable);
    expect(String(read.error)).toContain(`deflate data that inflates past the ${MAX_BLOCK_BYTES}-byte limit`);
    expect(await parts(file)).toEqual([1, { at: header.length + blocks[0]!.length, bytes: bomb, reason: expect.stringContaining('inflates past') }, 3]);
  });

  it('a block claiming more than the limit is damage at once: the download is not queued to find its end', async () => {
    const { header, blocks } = await captureOf([1], 'null');
    let pulled = 0;
    async function* download(): AsyncGenerator<Buffer> {
      yield header;
      yield blocks[0]!;
      yield Buffer.concat([long(1), long(2 ** 50)]);
      // 400 MiB more, which the framer used to hold until the download ended.
      for (let i = 0; i < 400; i++) {
        pulled += 1 << 20;
        yield Buffer.alloc(1 << 20, 0x61);
      }
    }
    // highWaterMark 1: Readable.from reads ahead 16 chunks by default.
    const read = await settle(strict(Readable.from(download(), { highWaterMark: 1 })));
    expect(read.seqs).toEqual([1]);
    expect(String(read.error)).toContain(`a block of ${2 ** 50} bytes, over the ${MAX_BLOCK_BYTES}-byte limit`);
    expect(pulled).toBeLessThanOrEqual(4 << 20);
  });

  it('a block whose size runs past the next sync marker and the end of the file is damage up to that marker; the blocks after it are read', async () => {
    const { header, blocks } = await captureOf([1, 2, 3], 'null');
    const two = blocks[1]!;
    const size = LONG.decode(two, LONG.decode(two, 0).offset);
    // The same block claiming 1000 bytes more than it holds.
    const overrun = Buffer.concat([two.subarray(0, 1), long(Number(size.value) + 1000), two.subarray(size.offset)]);
    const file = Buffer.concat([header, blocks[0]!, overrun, blocks[2]!]);
    expect(await parts(stream(file, 5))).toEqual([1, { at: header.length + blocks[0]!.length, bytes: overrun, reason: expect.stringContaining('runs over the next sync marker') }, 3]);
  });

  it(`a header over ${MAX_HEADER_BYTES} bytes fails fast with CaptureUnreadable (not retried): no quadratic re-reading`, async () => {
    const { header: real, blocks } = await captureOf([1], 'null');
    const HEADER = avro.Type.forSchema({
      type: 'record', name: 'Header', namespace: 'org.apache.avro.file',
      fields: [{ name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } }, { name: 'meta', type: { type: 'map', values: 'bytes' } }, { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } }],
    });
    const { meta, sync } = HEADER.decode(real, 0).value as { meta: Record<string, Buffer>; sync: Buffer };
    const huge = HEADER.toBuffer({ magic: Buffer.from('Obj\x01', 'latin1'), meta: { ...meta, 'x.pad': Buffer.alloc(64 << 20, 0x61) }, sync });
    let pulled = 0;
    async function* download(): AsyncGenerator<Buffer> {
      for (const c of split(Buffer.concat([huge, blocks[0]!]), 64 << 10)) {
        pulled += c.length;
        yield c;
      }
    }
    // It took 23 s to read through a 64 MiB header in 64 KiB chunks.
    const started = performance.now();
    const read = await settle(strict(Readable.from(download(), { highWaterMark: 1 })));
    expect(read.error).toBeInstanceOf(CaptureUnreadable);
    expect(read.error).toMatchObject({ retry: false, message: expect.stringContaining(`no whole Avro container header in its first ${MAX_HEADER_BYTES} bytes`) });
    expect(pulled).toBeLessThanOrEqual(MAX_HEADER_BYTES + (256 << 10));
    expect(performance.now() - started).toBeLessThan(2_000);
    // A large header under the limit still reads, in chunks of any size.
    const large = HEADER.toBuffer({ magic: Buffer.from('Obj\x01', 'latin1'), meta: { ...meta, 'x.pad': Buffer.alloc(900 << 10, 0x61) }, sync });
    expect(await strict(stream(Buffer.concat([large, blocks[0]!]), 1000))).toEqual({ seqs: [1], error: '' });
  });

  it('a header that is no Capture header (not Avro, a codec Capture does not write, no SequenceNumber) is CaptureUnreadable, not retried', async () => {
    const { header, blocks } = await captureOf([1], 'null');
    const renamed = Buffer.from(Buffer.concat([header, blocks[0]!]));
    renamed.write('XXXXXXXXXXXXXX', renamed.indexOf('SequenceNumber'));
    const xxxx = Buffer.from(Buffer.concat([header, blocks[0]!]));
    xxxx.write('xxxx', xxxx.indexOf('avro.codec') + 'avro.codec'.length + 1); // the codec's name, after its length
    for (const [file, why] of [
      [Buffer.from('{"records":[]}'), 'not an Avro object container file'],
      [xxxx, 'codec "xxxx" is not one Capture writes (null, deflate)'],
      [renamed, 'not an Event Hubs Capture file: its records have no SequenceNumber'],
    ] as const) {
      const read = await strict(file);
      expect(read.error).toMatchObject({ name: 'CaptureUnreadable', retry: false, message: expect.stringContaining(why) });
    }
  });
});

describe('damage mid-file: the blocks before and after it are read, the damaged bytes come out with a reason', () => {
  it('a sync marker that is not the file\'s: the block and the next, up to the next marker', async () => {
    const { header, blocks } = await captureOf([1, 2, 3, 4, 5], 'deflate');
    const bad = Buffer.from(blocks[2]!);
    bad.fill(0, bad.length - 16);
    const file = Buffer.concat([header, blocks[0]!, blocks[1]!, bad, blocks[3]!, blocks[4]!]);
    const at = header.length + blocks[0]!.length + blocks[1]!.length;
    for (const chunk of [file.length, 3]) expect(await parts(stream(file, chunk))).toEqual([1, 2, { at, bytes: Buffer.concat([bad, blocks[3]!]), reason: 'a block not followed by the sync marker' }, 5]);
  });

  it('a block that does not decode (its marker intact) costs that block only', async () => {
    const { header, blocks } = await captureOf([1, 2, 3], 'null');
    const garbled = Buffer.from(blocks[1]!);
    garbled.fill(0xff, 2, garbled.length - 16); // count and size kept, the record made of continuation bytes
    const file = Buffer.concat([header, blocks[0]!, garbled, blocks[2]!]);
    expect(await parts(file)).toEqual([1, { at: header.length + blocks[0]!.length, bytes: garbled, reason: expect.stringMatching(/^record 1 of 1: /) }, 3]);
  });

  it('a map count garbled into 2^35 is damage in no time (avsc looped 2^35 times: some twenty minutes a record)', async () => {
    const { sync, header, blocks } = await captureOf([1, 3], 'null');
    // SequenceNumber 2, Offset "2", EnqueuedTimeUtc "", then SystemProperties claiming 2^35 entries.
    const data = Buffer.concat([long(2), long(1), Buffer.from('2'), long(0), long(2 ** 35)]);
    const file = Buffer.concat([header, blocks[0]!, block(1, data, sync), blocks[1]!]);
    expect(await settle(parts(file), 2_000)).toEqual([1, { at: header.length + blocks[0]!.length, bytes: block(1, data, sync), reason: expect.stringContaining(`a count of ${2 ** 35} items`) }, 3]);
  });

  it('a count or size that is no long in a later block: the whole blocks before it in the same chunk are still read', async () => {
    const { header, blocks } = await captureOf([1, 2], 'null');
    for (const prefix of [Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]), Buffer.alloc(30, 0xff), Buffer.from([0x02, 0x01])]) {
      const file = Buffer.concat([header, blocks[0]!, prefix, Buffer.alloc(100, 7), blocks[1]!]);
      // It said "cannot decode past event 0" and lost block 1: the framer threw before passing it on.
      const read = await strict(file);
      expect(read.seqs).toEqual([1]);
      expect(read.error).toBeInstanceOf(CaptureUnreadable);
      expect(await parts(file)).toEqual([1, { at: header.length + blocks[0]!.length, bytes: Buffer.concat([prefix, Buffer.alloc(100, 7), blocks[1]!]), reason: expect.stringMatching(/^a block whose (object count is no count|byte size is no size)$/) }]);
    }
  });

  it('a count that does not match the records in the block is damage (the block is read whole or not at all)', async () => {
    const { sync, header, blocks } = await captureOf([3], 'null');
    const twoInOne = block(1, Buffer.concat([record(1), record(2)]), sync);
    expect(await parts(Buffer.concat([header, twoInOne, blocks[0]!]))).toEqual([{ at: header.length, bytes: twoInOne, reason: expect.stringContaining("bytes after the block's 1 records") }, 3]);
  });

  it('a file cut inside a block ends in a tail, which readCapture passes over quietly', async () => {
    const { header, blocks } = await captureOf([1, 2], 'null');
    const cut = Buffer.concat([header, blocks[0]!, blocks[1]!.subarray(0, 10)]);
    expect(await parts(stream(cut, 4))).toEqual([1, { tail: blocks[1]!.subarray(0, 10) }]);
    expect(await strict(cut)).toEqual({ seqs: [1], error: '' });
  });
});
