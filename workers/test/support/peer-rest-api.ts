// The part of Camunda 8.8's Orchestration Cluster REST API (/v2) that the migration command uses,
// served from the executing gateway peer's state: process definition and instance search, element
// instance search, definition XML, and process instance migration. Errors are RFC 9457 problem
// documents, as the real API answers.
import * as http from "http";
import type { AddressInfo } from "net";
import { ExecutingEngine, GatewayError, INVALID_ARGUMENT, NOT_FOUND, ProcessInstance } from "./executing-engine";

const ELEMENT_TYPES: Record<string, string> = {
  "bpmn:StartEvent": "START_EVENT",
  "bpmn:EndEvent": "END_EVENT",
  "bpmn:IntermediateThrowEvent": "INTERMEDIATE_THROW_EVENT",
  "bpmn:IntermediateCatchEvent": "INTERMEDIATE_CATCH_EVENT",
  "bpmn:BoundaryEvent": "BOUNDARY_EVENT",
  "bpmn:ServiceTask": "SERVICE_TASK",
  "bpmn:SendTask": "SEND_TASK",
  "bpmn:ReceiveTask": "RECEIVE_TASK",
  "bpmn:ExclusiveGateway": "EXCLUSIVE_GATEWAY",
  "bpmn:ParallelGateway": "PARALLEL_GATEWAY",
  "bpmn:EventBasedGateway": "EVENT_BASED_GATEWAY",
};

type Filter = Record<string, unknown>;
interface SearchBody {
  filter?: Filter;
  page?: { from?: number; limit?: number };
}

const HTTP_STATUS: Record<number, number> = { [INVALID_ARGUMENT]: 400, [NOT_FOUND]: 404 };

/** Equality filter, as the REST API's plain (non-advanced) filter values. */
function matches(item: Record<string, unknown>, filter: Filter = {}): boolean {
  return Object.entries(filter).every(([k, v]) => v === undefined || String(item[k]) === String(v));
}

function page<T>(items: T[], body: SearchBody): { items: T[]; page: { totalItems: number } } {
  const from = body.page?.from ?? 0;
  const limit = body.page?.limit ?? 100;
  return { items: items.slice(from, from + limit), page: { totalItems: items.length } };
}

export class PeerRestApi {
  private constructor(
    private readonly server: http.Server,
    readonly address: string,
  ) {}

  static async start(engine: ExecutingEngine): Promise<PeerRestApi> {
    const server = http.createServer((req, res) => {
      let raw = "";
      req.on("data", (d) => (raw += d));
      req.on("end", async () => {
        try {
          const out = await route(engine, req.method ?? "GET", new URL(req.url ?? "/", "http://peer").pathname, raw ? JSON.parse(raw) : {});
          if (out === undefined) {
            res.writeHead(204).end();
          } else if (typeof out === "string") {
            res.writeHead(200, { "content-type": "text/xml" }).end(out);
          } else {
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
          }
        } catch (err) {
          const status = err instanceof GatewayError ? (HTTP_STATUS[err.code] ?? 500) : 500;
          res.writeHead(status, { "content-type": "application/problem+json" });
          res.end(
            JSON.stringify({
              type: "about:blank",
              title: status === 404 ? "NOT_FOUND" : status === 400 ? "INVALID_ARGUMENT" : "INTERNAL",
              status,
              detail: (err as Error).message,
              instance: req.url,
            }),
          );
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return new PeerRestApi(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  stop(): Promise<void> {
    return new Promise((r) => {
      this.server.closeAllConnections();
      this.server.close(() => r());
    });
  }
}

function instanceItem(i: ProcessInstance): Record<string, unknown> {
  return {
    processInstanceKey: i.key,
    processDefinitionKey: i.definition.key,
    processDefinitionId: i.definition.bpmnProcessId,
    processDefinitionName: i.definition.bpmnProcessId,
    processDefinitionVersion: i.definition.version,
    state: i.state === "CANCELED" ? "TERMINATED" : i.state,
    hasIncident: i.incidents.length > 0,
    tenantId: "<default>",
  };
}

async function route(engine: ExecutingEngine, method: string, path: string, body: SearchBody & Record<string, unknown>): Promise<unknown> {
  let m: RegExpExecArray | null;
  if (method === "POST" && path === "/v2/process-definitions/search") {
    const items = engine.definitions
      .map((d) => ({
        processDefinitionKey: d.key,
        processDefinitionId: d.bpmnProcessId,
        version: d.version,
        name: d.bpmnProcessId,
        resourceName: d.resourceName,
        tenantId: "<default>",
      }))
      .filter((d) => matches(d, body.filter));
    return page(items, body);
  }
  if (method === "GET" && (m = /^\/v2\/process-definitions\/(\d+)\/xml$/.exec(path))) {
    const d = engine.definitionByKey(m[1]);
    if (!d) throw new GatewayError(NOT_FOUND, `Process definition with key '${m[1]}' not found`);
    return d.xml;
  }
  if (method === "POST" && path === "/v2/process-instances/search") {
    return page(
      [...engine.instances.values()].map(instanceItem).filter((i) => matches(i, body.filter)),
      body,
    );
  }
  if (method === "POST" && path === "/v2/element-instances/search") {
    const items = [...engine.instances.values()].flatMap((i) => {
      const active = new Set(i.activeElements());
      const process = { elementId: i.definition.bpmnProcessId, type: "PROCESS", state: i.state === "ACTIVE" ? "ACTIVE" : "COMPLETED" };
      const elements = [...new Set(i.elements.map((e) => e.elementId))].map((id) => ({
        elementId: id,
        type: ELEMENT_TYPES[i.definition.model.elements.get(id)?.type ?? ""] ?? "UNKNOWN",
        state: active.has(id) ? "ACTIVE" : "COMPLETED",
      }));
      return [process, ...elements].map((e) => ({
        ...e,
        processInstanceKey: i.key,
        processDefinitionKey: i.definition.key,
        processDefinitionId: i.definition.bpmnProcessId,
        hasIncident: false,
        tenantId: "<default>",
      }));
    });
    return page(
      items.filter((e) => matches(e, body.filter)),
      body,
    );
  }
  if (method === "POST" && (m = /^\/v2\/process-instances\/(\d+)\/migration$/.exec(path))) {
    const plan = body as { targetProcessDefinitionKey?: string; mappingInstructions?: { sourceElementId: string; targetElementId: string }[] };
    await engine.migrate(m[1], String(plan.targetProcessDefinitionKey), plan.mappingInstructions ?? []);
    return undefined;
  }
  throw new GatewayError(NOT_FOUND, `${method} ${path} is not served by the test peer`);
}
