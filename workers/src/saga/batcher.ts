// Groups calls made in the same event-loop turn into one execution: the jobs of one activation
// batch reach the saga log together, so one statement serves them all instead of one each.
// Each item still stands alone: when a batch fails for a reason tied to its data (isolate(err)), every
// item is run again by itself, so one bad item fails only its own job.

export class Batcher<I, O> {
  private pending: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  /** exec must return one output per input, in order; isolate(err) says a failed execution failed on its items' data. */
  constructor(
    private readonly exec: (items: I[]) => Promise<O[]>,
    private readonly isolate: (err: unknown) => boolean,
    private readonly maxSize = 256,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxSize) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.exec(batch.map((b) => b.item)).then(
      (outs) => batch.forEach((b, i) => b.resolve(outs[i])),
      (err) => {
        if (batch.length > 1 && this.isolate(err)) {
          for (const b of batch) this.exec([b.item]).then((outs) => b.resolve(outs[0]), b.reject);
        } else batch.forEach((b) => b.reject(err));
      },
    );
  }
}

/** Splits items into rounds where no key repeats (one statement must not touch a row twice). */
export function uniqueRounds<I>(items: I[], key: (i: I) => string): { index: number; item: I }[][] {
  const rounds: { index: number; item: I }[][] = [];
  const seen: Set<string>[] = [];
  items.forEach((item, index) => {
    const k = key(item);
    let r = 0;
    while (seen[r]?.has(k)) r++;
    (seen[r] ??= new Set()).add(k);
    (rounds[r] ??= []).push({ index, item });
  });
  return rounds;
}
