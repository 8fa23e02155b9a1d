import { afterEach, describe, expect, it } from 'vitest';
import { LoadShedder } from '../../gateway/edge/shed.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Holds the event loop for `ms`, as a synchronous supergraph build does. */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('LoadShedder', () => {
  let shedder: LoadShedder | undefined;
  afterEach(() => shedder?.stop());

  it('sheds after a stall of the event loop', async () => {
    shedder = new LoadShedder(400, 20, 1_000);
    await sleep(60);
    block(1_000);
    await sleep(60);
    expect(shedder.overloaded).toBe(true);
  });

  it('does not count a stall it was excused for (the gateway planning a reloaded supergraph)', async () => {
    shedder = new LoadShedder(400, 20, 1_000);
    await sleep(60);
    block(1_000);
    shedder.excuse();
    await sleep(60);
    expect(shedder.overloaded).toBe(false);
  });
});
