// Backoff on PostgreSQL's state, not per job: the first job that meets an outage marks the saga log down,
// one probe checks every probeEveryMs whether it is back (reachable and writable), and every job waiting
// on it goes on at once when it is. A job never burns a retry or a growing backoff for an outage.
import { SagaLogUnavailableError } from "./log";

export class SagaLogAvailability {
  private down = false;
  private closed = false;
  private timer?: NodeJS.Timeout;
  private readonly waiters = new Set<() => void>();
  /** Why the saga log is down (for logs and job messages). */
  lastError?: string;

  constructor(
    private readonly probe: () => Promise<void>,
    private readonly probeEveryMs = 200,
  ) {}

  isDown(): boolean {
    return this.down;
  }

  markDown(err: unknown): void {
    this.lastError = String((err as Error)?.message ?? err);
    if (this.down || this.closed) return;
    this.down = true;
    this.scheduleProbe();
  }

  /** Resolves true once the saga log is back, false when `deadline` (epoch ms) passes first. */
  waitUntilUp(deadline: number): Promise<boolean> {
    if (!this.down) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(!this.down);
      };
      const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
      this.waiters.add(wake);
    });
  }

  /**
   * Runs a saga-log operation; while the saga log is unavailable, waits for it to come back and runs the
   * operation again, until `deadline` (epoch ms): then throws SagaLogUnavailableError.
   */
  async run<T>(op: () => Promise<T>, deadline: number): Promise<T> {
    for (;;) {
      if (this.down && !(await this.waitUntilUp(deadline))) throw new SagaLogUnavailableError(this.lastError ?? "saga log unavailable");
      try {
        return await op();
      } catch (err) {
        if (!(err instanceof SagaLogUnavailableError)) throw err;
        this.markDown(err);
        if (this.closed || Date.now() >= deadline) throw err;
      }
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.setUp();
  }

  private setUp(): void {
    this.down = false;
    for (const wake of [...this.waiters]) wake();
  }

  private scheduleProbe(): void {
    this.timer = setTimeout(() => {
      this.probe().then(
        () => this.setUp(),
        (err) => {
          this.lastError = String((err as Error)?.message ?? err);
          if (!this.closed) this.scheduleProbe();
        },
      );
    }, this.probeEveryMs);
    this.timer.unref();
  }
}
