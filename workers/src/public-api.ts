// The worker's public API: what an Istio Gateway may expose to applications outside the cluster. Two calls,
// both JSON over POST: start an instance of a process this worker deployed, and publish a message (e.g. a
// response a waiting process correlates, or `start:<bpmnProcessId>` with a messageId for an idempotent start).
// Authentication happens at the gateway (Istio RequestAuthentication + AuthorizationPolicy with a JWT issuer);
// the ops endpoints (/actuator/*, /metrics) are never routed there.
import type * as http from "http";
import type { Logger } from "pino";
import { z } from "zod";
import { PUBLIC_API_PATHS } from "./contract";
import { errorText } from "./redact";
import type { ZeebeClient } from "./zeebe";

/** Variables arrive as parsed JSON: JSON values all the way down, as the SDK's types want them. */
type JsonObject = NonNullable<Parameters<ZeebeClient["publishMessage"]>[0]["variables"]>;

export { PUBLIC_API_PATHS };
/** Largest request body accepted: Zeebe's default max message size is 4 MB, variables should stay far below. */
export const MAX_BODY_BYTES = 1024 * 1024;

const variables = z.record(z.string(), z.unknown()).default({});
const startRequest = z.strictObject({ bpmnProcessId: z.string().min(1).max(256), variables });
const messageRequest = z.strictObject({
  name: z.string().min(1).max(256),
  correlationKey: z.string().max(256).default(""),
  variables,
  /** How long Zeebe buffers the message for a process that does not wait for it yet (Zeebe takes ms). */
  timeToLiveMs: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600 * 1000)
    .default(0),
  /** De-duplicates while the message is buffered (e.g. the sender's event id). */
  messageId: z.string().min(1).max(256).optional(),
});

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** gRPC status of a Zeebe error → HTTP status, without echoing Zeebe's text (it may hold variables). */
function fromZeebe(err: unknown): ApiError {
  const code = (err as { code?: number })?.code;
  if (code === 5) return new ApiError(404, "not found in Zeebe");
  if (code === 3) return new ApiError(400, "Zeebe refused the request as invalid");
  if (code === 8) return new ApiError(429, "Zeebe is busy; retry later");
  if (code === 6) return new ApiError(409, "a message with this messageId is already buffered");
  if (code === 14 || code === 4) return new ApiError(503, "Zeebe is unavailable; retry later");
  return new ApiError(502, "Zeebe failed the request");
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) throw new ApiError(415, "content-type must be application/json");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new ApiError(400, "body is not valid JSON");
  }
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new ApiError(400, result.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; "));
}

export interface PublicApiState {
  /** The Zeebe client, once the worker has started; undefined while starting or after retiring. */
  zeebe(): ZeebeClient | undefined;
  /** Process ids this worker deployed: the only ones the API starts. */
  processIds(): ReadonlySet<string>;
}

/**
 * Handles `/api/...` requests; returns false for any other path. Logs outcomes without bodies or variables.
 */
export function publicApi(state: PublicApiState, log: Logger): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (!path.startsWith("/api/")) return false;
    const route = Object.entries(PUBLIC_API_PATHS).find(([, p]) => p === path)?.[0];
    (async () => {
      if (!route) throw new ApiError(404, "no such API");
      if (req.method !== "POST") throw new ApiError(405, "use POST");
      const zeebe = state.zeebe();
      if (!zeebe) throw new ApiError(503, "the worker is not serving (starting or retired)");
      const body = await readJson(req);
      if (route === "processInstances") {
        const request = parse(startRequest, body);
        if (!state.processIds().has(request.bpmnProcessId)) throw new ApiError(404, `process ${request.bpmnProcessId} is not one this orchestrator deployed`);
        const started = await zeebe.createProcessInstance({ bpmnProcessId: request.bpmnProcessId, variables: request.variables as JsonObject }).catch((err) => {
          throw fromZeebe(err);
        });
        log.info({ bpmnProcessId: started.bpmnProcessId, processInstanceKey: started.processInstanceKey }, "process instance started through the public API");
        return send(res, 201, { processInstanceKey: started.processInstanceKey, bpmnProcessId: started.bpmnProcessId, version: started.version });
      }
      const request = parse(messageRequest, body);
      const published = await zeebe
        .publishMessage({
          name: request.name,
          correlationKey: request.correlationKey,
          variables: request.variables as JsonObject,
          timeToLive: request.timeToLiveMs,
          ...(request.messageId ? { messageId: request.messageId } : {}),
        })
        .catch((err) => {
          throw fromZeebe(err);
        });
      log.info({ name: request.name, messageKey: published.key }, "message published through the public API");
      return send(res, 202, { messageKey: published.key });
    })().catch((err) => {
      const error = err instanceof ApiError ? err : new ApiError(500, "internal error");
      if (!(err instanceof ApiError)) log.error({ err: errorText(err) }, "public API request failed");
      if (!res.headersSent) send(res, error.status, { error: error.message });
    });
    return true;
  };
}
