import { describe, expect, it } from 'vitest';
import { copyJson, deepMerge, type JsonObject } from '../../gateway/executor/data.js';

describe('copyJson', () => {
  it('copies parsed JSON deeply: changing the copy leaves the original as it was', () => {
    const text = '{"a":{"b":[1,{"c":"x"}],"n":null},"l":[[true,2.5]],"s":"t"}';
    const original = JSON.parse(text) as JsonObject;
    const copy = copyJson(original) as JsonObject;
    expect(copy).toStrictEqual(structuredClone(original));
    deepMerge(copy, { a: { b: [9, { c: 'y', d: 1 }], n: 'set' }, l: [[false, 0]], s: 'u' });
    expect(JSON.stringify(original)).toBe(text);
    expect(copy).toStrictEqual({
      a: { b: [9, { c: 'y', d: 1 }], n: 'set' },
      l: [[false, 0]],
      s: 'u',
    });
  });

  it('keeps an own __proto__ key as data, without touching the prototype', () => {
    const original = JSON.parse('{"__proto__":{"polluted":true},"k":1}') as JsonObject;
    const copy = copyJson(original) as JsonObject;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'k']);
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"polluted":true},"k":1}');
    expect(({} as JsonObject).polluted).toBeUndefined();
  });

  it('answers primitives and null as they are', () => {
    for (const v of [null, 0, 'x', false, 1.5]) expect(copyJson(v)).toBe(v);
  });
});
