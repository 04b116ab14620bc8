// Real HTTP microservices on loopback for tests: record every call, answer per a script.
import * as http from "http";
import type { AddressInfo } from "net";

export interface RecordedCall {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  at: number;
}

export interface Reply {
  status: number;
  body?: unknown;
  delayMs?: number;
  /** Answer only once this settles (a test holds a call open, then releases it). */
  until?: Promise<unknown>;
  headers?: Record<string, string>;
}

export type Behaviour = (call: RecordedCall, nth: number) => Reply;

export interface TestService {
  name: string;
  url: string;
  calls: RecordedCall[];
  callsTo(path: string): RecordedCall[];
  stop(): Promise<void>;
}

export async function startService(name: string, behaviour: Behaviour = () => ({ status: 200, body: { ok: true } })): Promise<TestService> {
  const calls: RecordedCall[] = [];
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      const call: RecordedCall = { path: req.url ?? "/", headers: req.headers, body: raw ? JSON.parse(raw) : undefined, at: Date.now() };
      calls.push(call);
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
    stop: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
