// An OTLP/HTTP trace receiver on loopback, as a collector would be: accepts POST /v1/traces in either OTLP/HTTP
// encoding (binary protobuf, decoded with the upstream opentelemetry-proto definitions; or JSON) and keeps the
// spans, with ids as lower-case hex. It decodes independently of the SDK's own serializers.
import * as protoLoader from "@grpc/proto-loader";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import * as zlib from "zlib";

const PROTO_ROOT = path.join(__dirname, "..", "upstream", "opentelemetry-proto-1.11.0");
const EXPORT_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService";

export type AttributeValue = string | number | boolean | AttributeValue[] | undefined;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** "" for a span without a parent. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, AttributeValue>;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  resource: Record<string, AttributeValue>;
  startNanos: bigint;
  endNanos: bigint;
}

export interface OtlpRequest {
  contentType: string;
  headers: http.IncomingHttpHeaders;
  spans: number;
}

export interface OtlpReceiver {
  /** Base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it (the exporter appends /v1/traces). */
  url: string;
  spans: ReceivedSpan[];
  requests: OtlpRequest[];
  /** Answer every export with this HTTP status (e.g. 503 to play an unavailable collector). */
  status: number;
  waitFor(cond: (spans: ReceivedSpan[]) => boolean, timeoutMs: number, what: string): Promise<void>;
  stop(): Promise<void>;
}

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

let deserialize: ((b: Buffer) => any) | undefined;
function decodeProtobuf(body: Buffer): any {
  if (!deserialize) {
    const def = protoLoader.loadSync("opentelemetry/proto/collector/trace/v1/trace_service.proto", {
      includeDirs: [PROTO_ROOT],
      keepCase: false,
      longs: String,
      enums: String,
      bytes: Buffer,
      defaults: true,
      oneofs: true,
    });
    deserialize = (def[EXPORT_SERVICE] as any).Export.requestDeserialize;
  }
  return deserialize!(body);
}

/** Ids: bytes in protobuf; in OTLP/JSON the specification says hex strings (base64 accepted in case a sender differs). */
function idHex(v: unknown): string {
  if (Buffer.isBuffer(v)) return v.toString("hex");
  if (typeof v !== "string" || v === "") return "";
  return /^[0-9a-f]+$/i.test(v) && (v.length === 16 || v.length === 32) ? v.toLowerCase() : Buffer.from(v, "base64").toString("hex");
}

function anyValue(v: any): AttributeValue {
  if (!v) return undefined;
  if (v.stringValue !== undefined && v.stringValue !== null && (v.value === undefined || v.value === "stringValue")) return v.stringValue;
  if (v.value === "intValue" || (v.value === undefined && v.intValue !== undefined)) return Number(v.intValue);
  if (v.value === "boolValue" || (v.value === undefined && v.boolValue !== undefined)) return Boolean(v.boolValue);
  if (v.value === "doubleValue" || (v.value === undefined && v.doubleValue !== undefined)) return Number(v.doubleValue);
  if (v.value === "arrayValue" || (v.value === undefined && v.arrayValue !== undefined)) return (v.arrayValue?.values ?? []).map(anyValue);
  return undefined;
}

function attributes(list: any[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, anyValue(kv.value)]));
}

function enumNumber(v: unknown, names: Record<string, number>): number {
  return typeof v === "number" ? v : (names[String(v)] ?? Number(v));
}

/** Flattens an ExportTraceServiceRequest (protobuf-decoded or JSON) into spans. */
export function spansOf(request: any): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: idHex(s.traceId),
          spanId: idHex(s.spanId),
          parentSpanId: idHex(s.parentSpanId),
          name: s.name,
          kind: enumNumber(s.kind, SPAN_KINDS),
          attributes: attributes(s.attributes),
          statusCode: enumNumber(s.status?.code ?? 0, STATUS_CODES),
          resource,
          startNanos: BigInt(s.startTimeUnixNano ?? 0),
          endNanos: BigInt(s.endTimeUnixNano ?? 0),
        });
      }
    }
  }
  return out;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpRequest[] = [];
  const receiver = { status: 200 } as OtlpReceiver;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      try {
        if (req.method !== "POST" || req.url !== "/v1/traces") {
          res.writeHead(404).end();
          return;
        }
        let body = Buffer.concat(chunks);
        if (req.headers["content-encoding"] === "gzip") body = zlib.gunzipSync(body);
        const contentType = String(req.headers["content-type"] ?? "");
        const decoded = contentType.startsWith("application/x-protobuf")
          ? decodeProtobuf(body)
          : contentType.startsWith("application/json")
            ? JSON.parse(body.toString("utf8"))
            : undefined;
        if (!decoded) {
          res.writeHead(415).end();
          return;
        }
        const got = spansOf(decoded);
        requests.push({ contentType, headers: req.headers, spans: got.length });
        if (receiver.status !== 200) {
          res.writeHead(receiver.status).end();
          return;
        }
        spans.push(...got);
        res.writeHead(200, { "content-type": contentType }).end(contentType.startsWith("application/json") ? "{}" : Buffer.alloc(0));
      } catch (err) {
        res.writeHead(400, { "content-type": "text/plain" }).end(String((err as Error).message));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    async waitFor(cond: (s: ReceivedSpan[]) => boolean, timeoutMs: number, what: string) {
      const deadline = Date.now() + timeoutMs;
      while (!cond(spans)) {
        if (Date.now() > deadline)
          throw new Error(`OTLP receiver: timed out waiting for ${what}; got ${spans.length} spans: ${spans.map((s) => s.name).join(", ")}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}
