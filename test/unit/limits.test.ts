import { describe, expect, it } from 'vitest';
import { getOperationAST, parse } from 'graphql';
import { measureOperation, type FieldShape } from '../../gateway/limits.js';

const LIMITS = {
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 20,
  maxCost: 25_000,
  maxDocumentBytes: 32_768,
};

/** A schema of one type: `items(first: Int = 20): [Item]`, `child: Item`, `name: String`. */
function counting() {
  let calls = 0;
  const shapeOf = (_parent: string, field: string): FieldShape => {
    calls++;
    if (field === 'items')
      return { list: true, type: 'Item', page: { name: 'first', default: 20 } };
    if (field === 'child') return { list: false, type: 'Item' };
    return { list: false, type: 'String' };
  };
  return { shapeOf, calls: () => calls };
}

function measure(query: string, variables: Record<string, unknown> = {}, stopAt = LIMITS) {
  const doc = parse(query);
  const c = counting();
  const m = measureOperation(doc, getOperationAST(doc)!, variables, c.shapeOf, 'Query', stopAt);
  return { ...m, shapeCalls: c.calls() };
}

describe('measureOperation', () => {
  it('reads each fragment once however often it is spread: work grows with the document, not the expansion', () => {
    const doc = (n: number) => {
      let f = 'fragment F0 on Item { child { name } }';
      for (let i = 1; i <= n; i++) f += ` fragment F${i} on Item { ...F${i - 1} ...F${i - 1} }`;
      return `{ child { ...F${n} } } ${f}`;
    };
    const small = measure(doc(10), {}, { ...LIMITS, maxAliases: 1e9, maxDepth: 1e9 });
    const large = measure(doc(40), {}, { ...LIMITS, maxAliases: 1e9, maxDepth: 1e9 });
    expect(large.cost).toBe(1 + 2 ** 40 * 2);
    // One look-up per field node in the text: the same for 2^10 and 2^40 expansions.
    expect(small.shapeCalls).toBe(large.shapeCalls);
  });

  it("costs a list by its argument, a variable, the variable's default, then the schema's default", () => {
    const q = (arg: string, defs = '') => `query${defs} { items${arg} { name } }`;
    expect(measure(q('(first: 5)')).cost).toBe(1 + 5);
    expect(measure(q('(first: $n)', '($n: Int)'), { n: 7 }).cost).toBe(1 + 7);
    expect(measure(q('(first: $n)', '($n: Int = 9)')).cost).toBe(1 + 9);
    expect(measure(q('(first: $n)', '($n: Int = 9)'), { n: 3 }).cost).toBe(1 + 3);
    expect(measure(q('')).cost).toBe(1 + 20);
  });

  it('stops at the first field past the depth limit, before walking what is below it', () => {
    let q = 'name';
    for (let i = 0; i < 1000; i++) q = `child { ${q} }`;
    expect(() => measure(`{ ${q} }`)).toThrow(/maxDepth/);
    expect(() => measure(`{ ${q} }`)).not.toThrow(/1001/);
  });

  it('counts aliases and root fields in every expansion of a fragment', () => {
    const q = '{ ...R ...R } fragment R on Query { a: child { name } b: child { name } }';
    const m = measure(q);
    expect(m.aliases).toBe(4);
    expect(m.rootFields).toBe(4);
  });
});
