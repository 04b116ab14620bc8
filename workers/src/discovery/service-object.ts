// Reading a Service that came off the Kubernetes API. The API server never sends a Service without
// name or namespace, but a proxy, a bug or a hostile peer might: nothing here trusts the shape.

// Service names are DNS-1035 labels, namespaces DNS-1123 labels (what the API server enforces). Checking
// them also keeps anything but a plain host label out of the URL built from them.
const SERVICE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export type Parsed<T> = ({ ok: true } & T) | { ok: false; reason: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Name and namespace of a Service, or why they cannot be read. */
export function serviceIdentity(obj: unknown): Parsed<{ name: string; namespace: string }> {
  if (!isRecord(obj)) return { ok: false, reason: `object is ${obj === null ? "null" : typeof obj}, not a Service` };
  const meta = obj.metadata;
  if (!isRecord(meta)) return { ok: false, reason: "metadata is missing" };
  if (typeof meta.name !== "string" || !SERVICE_NAME.test(meta.name)) return { ok: false, reason: "metadata.name is missing or not a DNS-1035 label" };
  if (typeof meta.namespace !== "string" || !NAMESPACE.test(meta.namespace))
    return { ok: false, reason: "metadata.namespace is missing or not a DNS-1123 label" };
  return { ok: true, name: meta.name, namespace: meta.namespace };
}

/** The port calls go to: the one named "http", else the first. */
function servicePort(obj: Record<string, unknown>): number | undefined {
  const spec = obj.spec;
  const ports = isRecord(spec) && Array.isArray(spec.ports) ? spec.ports.filter(isRecord) : [];
  const port = (ports.find((p) => p.name === "http") ?? ports[0])?.port;
  return typeof port === "number" && Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

/** Base URL of a Service: cluster DNS name and the port named "http" (else the first port). */
export function serviceUrl(obj: unknown): string | undefined {
  const id = serviceIdentity(obj);
  const port = id.ok ? servicePort(obj as Record<string, unknown>) : undefined;
  return id.ok && port ? `http://${id.name}.${id.namespace}.svc.cluster.local:${port}` : undefined;
}

/** Everything discovery needs of a Service, or why it is unusable. */
export function parseService(obj: unknown): Parsed<{ name: string; namespace: string; url: string; createdAt: number }> {
  const id = serviceIdentity(obj);
  if (!id.ok) return id;
  const url = serviceUrl(obj);
  if (!url) return { ok: false, reason: "spec.ports has no usable port" };
  const stamp = (obj as { metadata: { creationTimestamp?: unknown } }).metadata.creationTimestamp;
  // The generated client turns list items' timestamps into Dates; watch events carry the RFC 3339 string.
  const createdAt = stamp instanceof Date ? stamp.getTime() : typeof stamp === "string" ? Date.parse(stamp) : NaN;
  return { ok: true, name: id.name, namespace: id.namespace, url, createdAt: Number.isNaN(createdAt) ? Infinity : createdAt };
}
