import { describe, expect, it } from 'vitest';
import { jsonElements, jsonSpan, valueTooDeep } from '../functions/envelope/json.js';

describe('jsonSpan: the exact text of the value at a path', () => {
  const doc = ` { "a" : [ 1 , "x]\\\\" , {"b":[true,null,-2.5e3]} , "q\\"}" ] , "a2":{} , "a":[ "last" , {"c" : "}" } ] } `;

  it('agrees with JSON.parse at every path, keeps the bytes as written, and takes the last of a repeated key', () => {
    const parsed = JSON.parse(doc) as { a: [string, { c: string }] };
    expect(jsonSpan(doc, [])).toBe(doc.trim());
    expect(jsonSpan(doc, ['a'])).toBe('[ "last" , {"c" : "}" } ]');
    expect(JSON.parse(jsonSpan(doc, ['a'])!)).toEqual(parsed.a);
    expect(jsonSpan(doc, ['a', 0])).toBe('"last"');
    expect(jsonSpan(doc, ['a', 1, 'c'])).toBe('"}"');
    expect(jsonSpan(doc, ['a2'])).toBe('{}');
  });

  it('steps over strings with brackets, escaped quotes and backslashes, and over literals and numbers', () => {
    const arr = '[ "x]\\\\" , "q\\"}" , -2.5e3 , true , null , [ [ ] ] , { "k" : "v" } ]';
    const values = JSON.parse(arr) as unknown[];
    for (let i = 0; i < values.length; i++) expect(JSON.parse(jsonSpan(arr, [i])!), `element ${i}`).toEqual(values[i]);
    expect(jsonSpan(arr, [2])).toBe('-2.5e3');
    expect(jsonSpan('{"k\\u0065y":7}', ['key'])).toBe('7');
  });

  it('is undefined for a path that is not there', () => {
    expect(jsonSpan('[1,2]', [2])).toBeUndefined();
    expect(jsonSpan('[1,2]', ['a'])).toBeUndefined();
    expect(jsonSpan('{"a":1}', [0])).toBeUndefined();
    expect(jsonSpan('{"a":1}', ['b'])).toBeUndefined();
    expect(jsonSpan('[]', [0])).toBeUndefined();
    expect(jsonSpan('{"a":"s"}', ['a', 0])).toBeUndefined();
  });

  it('finds a value nested 100,000 levels deep without recursion', () => {
    const depth = 100_000;
    const inner = '['.repeat(depth) + ']'.repeat(depth);
    expect(jsonSpan(`{"x":0,"y":[${inner},"after"]}`, ['y', 0])).toBe(inner);
    expect(jsonSpan(`{"x":0,"y":[${inner},"after"]}`, ['y', 1])).toBe('"after"');
  });
});

describe('jsonElements: the exact text of every element of an array, in one pass', () => {
  it('splits an array at a path into its elements as written, agreeing with JSON.parse', () => {
    const doc = '{"items": 0, "items" : [ {"a":"],\\"}"} ,\n -2.50 , "x\\\\" ,[ [ ] ],true,{"n":9007199254740993} ] }';
    const parsed = JSON.parse(doc) as { items: unknown[] };
    const elements = jsonElements(doc, ['items'])!;
    expect(elements).toEqual(['{"a":"],\\"}"}', '-2.50', '"x\\\\"', '[ [ ] ]', 'true', '{"n":9007199254740993}']);
    expect(elements.map((e) => JSON.parse(e) as unknown)).toEqual(parsed.items);
    expect(jsonElements(' [ ] ', [])).toEqual([]);
    expect(jsonElements('[1,[2,3]]', [1])).toEqual(['2', '3']);
  });

  it('measures, in the same pass, how deep the deepest element nests, as valueTooDeep counts', () => {
    const doc = '{"x":[[[[[]]]]],"events":[{"a":[1,{"b":"[[[["}]}, 2, "{{", [[[]]], {}]}';
    const deepest = { levels: 0 };
    expect(jsonElements(doc, ['events'], deepest)).toHaveLength(5);
    expect(deepest.levels).toBe(3); // the member before the array and brackets in strings do not count
    // The same count as valueTooDeep's over the parsed events.
    const events = (JSON.parse(doc) as { events: unknown[] }).events;
    expect(events.some((e) => valueTooDeep(e, deepest.levels - 1))).toBe(true);
    expect(events.some((e) => valueTooDeep(e, deepest.levels))).toBe(false);
    const flat = { levels: 0 };
    jsonElements('[1, "a", null]', [], flat);
    expect(flat.levels).toBe(0);
  });

  it('is undefined where the path is missing or holds no array', () => {
    expect(jsonElements('{"items":{}}', ['items'])).toBeUndefined();
    expect(jsonElements('{"items":"[1]"}', ['items'])).toBeUndefined();
    expect(jsonElements('{"other":[1]}', ['items'])).toBeUndefined();
    expect(jsonElements('[1]', ['items'])).toBeUndefined();
  });

  it('splits 20,000 elements whose texts join back into the array text', () => {
    const items = Array.from({ length: 20_000 }, (_, i) => ({ auditID: `id-${i}`, annotations: { n: i } }));
    const text = JSON.stringify({ events: items });
    const elements = jsonElements(text, ['events'])!;
    expect(elements).toHaveLength(items.length);
    expect(elements.map((e) => JSON.parse(e) as unknown)).toEqual(items);
    expect(elements.join(',')).toBe(text.slice('{"events":['.length, -2));
  });
});
