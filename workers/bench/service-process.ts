// Bench child process: the microservice both workers call.
import * as http from "http";
import type { AddressInfo } from "net";

const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    const parsed = JSON.parse(body || "{}");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true, i: parsed.i }));
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => process.send!({ ready: true, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
process.on("message", (m: { cmd: string }) => m.cmd === "stop" && server.close(() => process.exit(0)));

// The bench ended (or was aborted) without stopping this process: do not outlive it.
process.on("disconnect", () => process.exit(0));
