// Checks a block's encoding against its writer schema before avsc decodes it. avsc loops as
// many times as a map or array block count says, also past the end of the data (37 ns a
// turn): a count garbled into 2^35 by five damaged bytes would keep one record busy some twenty
// minutes. This walk takes time linear in the block's bytes (items are budgeted), so avsc
// only ever reads well-formed data, and damage ends as a reason instead of a hung replay.
import type avro from 'avsc';
import { readLong } from './avroFrames.js';

/** Items (array and map entries) of zero bytes a block may hold beyond one per byte: arrays of nulls are legal. */
const EMPTY_ITEMS = 1 << 20;

class Walk {
  /** Items the block may still hold: one per byte, plus EMPTY_ITEMS. */
  private budget: number;

  constructor(private readonly buf: Buffer) {
    this.budget = buf.length + EMPTY_ITEMS;
  }

  /** Takes `n` items from the budget, or fails: no well-formed block holds more. */
  items(n: number): void {
    if (n > this.budget) throw new Error(`a count of ${n} items, more than ${this.buf.length} bytes can hold`);
    this.budget -= n;
  }

  long(pos: number): { value: number; next: number } {
    const v = readLong(this.buf, pos);
    if (v === 'short') throw new Error('the data ends inside a value');
    if (v === 'invalid') throw new Error('a count or length past 2^53');
    return v;
  }

  /** Past `n` more bytes at `pos`. */
  bytes(pos: number, n: number): number {
    if (n < 0 || pos + n > this.buf.length) throw new Error('the data ends inside a value');
    return pos + n;
  }

  /** Past any varint (an int or long field may use all 10 bytes). */
  varint(pos: number): number {
    for (let i = 0; i < 10; i++) {
      const b = this.buf[pos + i];
      if (b === undefined) throw new Error('the data ends inside a value');
      if (!(b & 0x80)) return pos + i + 1;
    }
    throw new Error('a varint longer than 10 bytes');
  }

  /** Index of a union branch or enum symbol, below `n`. */
  index(pos: number, n: number): { value: number; next: number } {
    const i = this.long(pos);
    if (i.value < 0 || i.value >= n) throw new Error(`index ${i.value} of ${n}`);
    return i;
  }

  /** Past the blocks of an array or map, each item passed by `item`. */
  blocks(pos: number, item: (pos: number) => number): number {
    for (;;) {
      const count = this.long(pos);
      pos = count.next;
      if (count.value === 0) return pos;
      if (count.value < 0) pos = this.long(pos).next; // the block's byte size: not needed
      const n = Math.abs(count.value);
      this.items(n);
      for (let k = 0; k < n; k++) pos = item(pos);
    }
  }

  /** Past one value of `type` at `pos`. */
  value(type: avro.Type, pos: number): number {
    const t = type as avro.Type & Partial<avro.types.RecordType & avro.types.MapType & avro.types.ArrayType & avro.types.FixedType & avro.types.EnumType & avro.types.WrappedUnionType & avro.types.LogicalType>;
    switch (t.typeName) {
      case 'null':
        return pos;
      case 'boolean':
        return this.bytes(pos, 1);
      case 'int':
      case 'long':
        return this.varint(pos);
      case 'float':
        return this.bytes(pos, 4);
      case 'double':
        return this.bytes(pos, 8);
      case 'bytes':
      case 'string': {
        const len = this.long(pos);
        return this.bytes(len.next, len.value);
      }
      case 'fixed':
        return this.bytes(pos, t.size!);
      case 'enum':
        return this.index(pos, t.symbols!.length).next;
      case 'record':
      case 'error':
        for (const f of t.fields!) pos = this.value(f.type, pos);
        return pos;
      case 'array':
        return this.blocks(pos, (p) => this.value(t.itemsType!, p));
      case 'map':
        return this.blocks(pos, (p) => this.value(t.valuesType as avro.Type, this.value(STRING, p)));
      case 'union:unwrapped':
      case 'union:wrapped': {
        const i = this.index(pos, t.types!.length);
        return this.value(t.types![i.value]!, i.next);
      }
      default:
        if (t.underlyingType) return this.value(t.underlyingType, pos);
        throw new Error(`a schema of type ${t.typeName}, which this reader does not check`);
    }
  }
}

/** Stands for a map key in Walk.value. */
const STRING = { typeName: 'string' } as avro.Type;

/**
 * Where each of `count` values of `type` starts in `data`, after checking that they fill it
 * exactly; throws an Error saying what is wrong otherwise.
 */
export function recordStarts(type: avro.Type, data: Buffer, count: number): number[] {
  const walk = new Walk(data);
  walk.items(count);
  const starts: number[] = [];
  let pos = 0;
  for (let i = 0; i < count; i++) {
    starts.push(pos);
    try {
      pos = walk.value(type, pos);
    } catch (err) {
      throw new Error(`record ${i + 1} of ${count}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (pos !== data.length) throw new Error(`${data.length - pos} bytes after the block's ${count} records`);
  return starts;
}
