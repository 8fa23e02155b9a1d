/**
 * The newest rows of an outbox, in position order, in a fixed amount of memory. It knows how far
 * back it is complete: it holds every row with `floor < position <= newest`, so a reader after
 * `floor` or later needs no query.
 */
export class RowRing<Row extends { position: number }> {
  private readonly rows: Array<Row | undefined>;
  private start = 0;
  private size = 0;

  /** @param floor the position after which every row will be pushed (the head when reading began) */
  constructor(
    private readonly capacity: number,
    private floor: number,
  ) {
    this.rows = new Array<Row | undefined>(capacity);
  }

  /** Appends rows newer than any held; the oldest ones make room and raise the floor. */
  push(rows: readonly Row[]): void {
    for (const row of rows) {
      if (this.size < this.capacity) {
        this.rows[(this.start + this.size) % this.capacity] = row;
        this.size++;
      } else {
        this.floor = this.at(0).position;
        this.rows[this.start] = row;
        this.start = (this.start + 1) % this.capacity;
      }
    }
  }

  /**
   * Up to `limit` rows with position > `after`, oldest first; `undefined` when the ring no longer
   * reaches back to `after` (the caller reads the table instead).
   */
  after(after: number, limit: number): Row[] | undefined {
    if (after < this.floor) return undefined;
    // The first held row newer than `after`, by binary search.
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).position <= after) lo = mid + 1;
      else hi = mid;
    }
    const out: Row[] = [];
    for (let i = lo; i < this.size && out.length < limit; i++) out.push(this.at(i));
    return out;
  }

  private at(i: number): Row {
    return this.rows[(this.start + i) % this.capacity] as Row;
  }
}
