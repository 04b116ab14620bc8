// What a generated repository is made from: the orchestrator's properties and its BPMN models, read
// once into task types, services and processes. Pure: no file system, no Pulumi.
import { XMLParser } from "fast-xml-parser";
import { ComponentProperties } from "../components/properties";

export const ZEEBE_NAMESPACE = "http://camunda.org/schema/zeebe/1.0";
export const BPMN_NAMESPACE = "http://www.omg.org/spec/BPMN/20100524/MODEL";
/** The label a Kubernetes Service carries to take part in discovery (the worker's DISCOVERY_LABEL_SELECTOR). */
export const DISCOVERY_LABEL = { key: "orchestration.platform/managed", value: "true" } as const;

/** The languages a source repository is generated in: the component's `language` property. */
export type ScaffoldLanguage = NonNullable<ComponentProperties["language"]>;

/** One job worker the source repository implements. */
export type WorkerSpec =
  { type: string; kind: "call"; service: string } | { type: string; kind: "compensate"; service: string } | { type: string; kind: "publish" };

export interface ProcessSpec {
  /** bpmnProcessId. */
  id: string;
  file: string;
  /** Task types of the process's service tasks, compensation handlers included. */
  taskTypes: string[];
  /** Task types reached on the happy path: not compensation handlers. */
  forwardTaskTypes: string[];
  /** The `call-microservice-*` service tasks on the happy path: element id and service. */
  forwardCalls: Array<{ elementId: string; service: string }>;
}

export interface ScaffoldModel {
  orchestrator: string;
  language: ScaffoldLanguage;
  framework: string;
  /** Source repository name; the GitOps repository is `<repository>-gitops`. */
  repository: string;
  gitopsRepository: string;
  namespace: string;
  topicsPrefix: string;
  sagaPatterns: readonly string[];
  eventStreaming: boolean;
  /** BPMN file name → XML. */
  workflows: Record<string, string>;
  processes: ProcessSpec[];
  workers: WorkerSpec[];
  /** Services the models call or compensate, sorted. */
  services: string[];
  /** Variables a test instance needs: every `=name` message correlation key, with a sample value. */
  sampleVariables: Record<string, string>;
}

export class ScaffoldError extends Error {}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  removeNSPrefix: false,
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
});

type XmlNode = Record<string, unknown>;

/** Namespace prefixes a document binds, by namespace URI, from its root element. */
function prefixesOf(root: XmlNode, uri: string): string[] {
  return Object.entries(root)
    .filter(([key, value]) => key.startsWith("@xmlns") && value === uri)
    .map(([key]) => (key === "@xmlns" ? "" : key.slice("@xmlns:".length)));
}

const qualified = (prefix: string, local: string) => (prefix ? `${prefix}:${local}` : local);

/** Every element named `local` in one of `prefixes`, anywhere below `node`, with its ancestors' element names. */
function findAll(node: unknown, prefixes: string[], local: string, found: XmlNode[] = []): XmlNode[] {
  if (Array.isArray(node)) node.forEach((child) => findAll(child, prefixes, local, found));
  else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith("@")) continue;
      if (prefixes.some((p) => key === qualified(p, local))) (value as XmlNode[]).forEach((v) => found.push(v));
      findAll(value, prefixes, local, found);
    }
  }
  return found;
}

/** Reads the processes of one BPMN file: ids, task types, message correlation keys. */
export function readProcesses(file: string, xml: string): { processes: ProcessSpec[]; correlationVariables: string[] } {
  let document: XmlNode;
  try {
    document = parser.parse(xml) as XmlNode;
  } catch (error) {
    throw new ScaffoldError(`${file}: not well-formed XML: ${(error as Error).message}`);
  }
  const rootKey = Object.keys(document).find((key) => !key.startsWith("?") && /(^|:)definitions$/.test(key));
  if (!rootKey) throw new ScaffoldError(`${file}: no BPMN definitions element`);
  const root = (document[rootKey] as XmlNode[])[0];
  const bpmn = prefixesOf(root, BPMN_NAMESPACE);
  const zeebe = prefixesOf(root, ZEEBE_NAMESPACE);
  if (bpmn.length === 0) throw new ScaffoldError(`${file}: does not bind the BPMN namespace ${BPMN_NAMESPACE}`);
  const taskTypeOf = (task: XmlNode): string | undefined => {
    const definition = findAll(task, zeebe, "taskDefinition")[0];
    return definition ? String(definition["@type"]) : undefined;
  };
  const processes = findAll(root, bpmn, "process").map((process): ProcessSpec => {
    const tasks = findAll(process, bpmn, "serviceTask");
    const types = (list: XmlNode[]) => [...new Set(list.map(taskTypeOf).filter((t): t is string => t !== undefined))].sort();
    return {
      id: String(process["@id"]),
      file,
      taskTypes: types(tasks),
      forwardTaskTypes: types(tasks.filter((task) => task["@isForCompensation"] !== "true")),
      forwardCalls: tasks
        .filter((task) => task["@isForCompensation"] !== "true")
        .flatMap((task) => {
          const service = /^call-microservice-(.+)$/.exec(taskTypeOf(task) ?? "")?.[1];
          return service ? [{ elementId: String(task["@id"]), service }] : [];
        }),
    };
  });
  const correlationVariables = findAll(root, zeebe, "subscription")
    .map((s) => /^=\s*([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(String(s["@correlationKey"] ?? ""))?.[1])
    .filter((v): v is string => v !== undefined);
  return { processes, correlationVariables };
}

/** The worker a task type needs: `call-microservice-<svc>`, `compensate-<svc>` or `publish-and-wait`. */
export function workerFor(type: string): WorkerSpec {
  const call = /^call-microservice-([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(type);
  if (call) return { type, kind: "call", service: call[1] };
  const compensate = /^compensate-([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(type);
  if (compensate) return { type, kind: "compensate", service: compensate[1] };
  if (type === "publish-and-wait") return { type, kind: "publish" };
  throw new ScaffoldError(
    `task type "${type}": the scaffold generates workers for call-microservice-<service>, compensate-<service> and publish-and-wait (service: a DNS label)`,
  );
}

/** Builds the model of one orchestrator's repositories. */
export function scaffoldModel(input: {
  orchestrator: string;
  properties: ComponentProperties;
  namespace: string;
  workflows: Record<string, string>;
}): ScaffoldModel {
  const { properties } = input;
  if (!properties.language || !properties.framework || !properties.repository) {
    throw new ScaffoldError(`component "${input.orchestrator}": repositories are generated only with language, framework and repository set`);
  }
  if (!/^[A-Za-z0-9._-]{1,90}$/.test(properties.repository) || properties.repository.startsWith(".")) {
    throw new ScaffoldError(
      `component "${input.orchestrator}": repository "${properties.repository}" is not a valid repository name (letters, digits, '.', '_', '-', at most 90; the GitOps one adds "-gitops")`,
    );
  }
  const processes: ProcessSpec[] = [];
  const correlation = new Set<string>();
  for (const [file, xml] of Object.entries(input.workflows).sort(([a], [b]) => a.localeCompare(b))) {
    const read = readProcesses(file, xml);
    processes.push(...read.processes);
    read.correlationVariables.forEach((v) => correlation.add(v));
  }
  if (processes.length === 0) throw new ScaffoldError(`component "${input.orchestrator}": its models hold no process`);
  const types = [...new Set(processes.flatMap((p) => p.taskTypes))].sort();
  const workers = types.map(workerFor);
  const services = [...new Set(workers.flatMap((w) => (w.kind === "publish" ? [] : [w.service])))].sort();
  return {
    orchestrator: input.orchestrator,
    language: properties.language,
    framework: properties.framework,
    repository: properties.repository,
    gitopsRepository: `${properties.repository}-gitops`,
    namespace: input.namespace,
    topicsPrefix: properties.topicsPrefix,
    sagaPatterns: properties.sagaPatterns,
    eventStreaming: properties.enableEventStreaming,
    workflows: input.workflows,
    processes,
    workers,
    services,
    sampleVariables: Object.fromEntries([...correlation].sort().map((name) => [name, `${name}-sample`])),
  };
}

/** `inventory-service` → `InventoryService`; for class and type names. */
export function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join("");
}

/** The worker table of a README, shared by every language. */
export function workerTable(model: ScaffoldModel): string {
  const what = (w: ScaffoldModel["workers"][number]) =>
    w.kind === "call"
      ? `POST the job's variables to \`${w.service}\` (header \`path\`, default \`/api/process\`)`
      : w.kind === "compensate"
        ? `POST a compensation to \`${w.service}\` (header \`compensationPath\`, default \`/api/compensate\`)`
        : "publish an event to `<TOPICS_PREFIX>.<topic header>` keyed by the `correlationKey` variable";
  return ["| task type | does |", "|---|---|", ...model.workers.map((w) => `| \`${w.type}\` | ${what(w)} |`)].join("\n");
}
