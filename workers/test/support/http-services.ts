// Real HTTP microservices on loopback for tests: record every call, answer per a script.
import * as http from "http";
import type { AddressInfo } from "net";

export interface RecordedCall {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  at: number;
  /** When the exchange ended: the reply was sent, or the client went away first (aborted). */
  endedAt?: number;
  aborted?: boolean;
}

export interface Reply {
  status: number;
  body?: unknown;
  delayMs?: number;
  headers?: Record<string, string>;
  /** Answer only once this settles (e.g. to answer many calls at the same moment). */
  until?: Promise<unknown>;
}

export type Behaviour = (call: RecordedCall, nth: number) => Reply;

export interface TestService {
  name: string;
  url: string;
  calls: RecordedCall[];
  callsTo(path: string): RecordedCall[];
  stop(): Promise<void>;
}

/** Most exchanges open at the same time among calls (e.g. of one Idempotency-Key); an open exchange ends when answered or aborted. */
export function maxOpenAtOnce(calls: RecordedCall[]): number {
  const edges = calls.flatMap(
    (c) =>
      [
        [c.at, 1],
        [c.endedAt ?? Infinity, -1],
      ] as [number, number][],
  );
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let max = 0;
  for (const [, d] of edges) max = Math.max(max, (open += d));
  return max;
}

export async function startService(name: string, behaviour: Behaviour = () => ({ status: 200, body: { ok: true } })): Promise<TestService> {
  const calls: RecordedCall[] = [];
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      const call: RecordedCall = { path: req.url ?? "/", headers: req.headers, body: raw ? JSON.parse(raw) : undefined, at: Date.now() };
      calls.push(call);
      res.on("close", () => {
        call.endedAt = Date.now();
        call.aborted = !res.writableFinished;
      });
      const reply = behaviour(call, calls.filter((c) => c.path === call.path).length);
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
        res.end(JSON.stringify(reply.body ?? null));
      };
      if (reply.until) void reply.until.then(send, send);
      else if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    calls,
    callsTo: (path) => calls.filter((c) => c.path === path),
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
