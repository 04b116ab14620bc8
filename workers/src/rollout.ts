// Blue/green hand-over for a worker that pulls its jobs. Knative routes requests to the newest ready revision,
// but jobs are not requests: every running revision keeps activating jobs, and with the HPA autoscaling class a
// revision that no longer receives traffic is never scaled to zero (knative/serving v1.23.0: only the KPA scales
// unreachable revisions down, pkg/reconciler/autoscaling/kpa/scaler.go; the HPA keeps at least one replica until
// the revision is garbage-collected). So a revision watches its Knative Service and retires itself, after draining
// its jobs, once a newer revision is ready: the new one always takes over before the old one stops.
import * as fs from "fs";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { errorText } from "./redact";

/** Where the pod's namespace is, in every pod with a ServiceAccount token. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** Tells which revision of the worker's Knative Service is the newest ready one. */
export interface RevisionSource {
  latestReadyRevision(): Promise<string | undefined>;
}

/** Reads `status.latestReadyRevisionName` of the Knative Service (RBAC: get on that one Service). */
export async function knativeRevisionSource(
  kubeConfig: KubeConfig,
  service: string,
  namespace = fs.readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, "utf8").trim(),
): Promise<RevisionSource> {
  const { CustomObjectsApi } = await import("@kubernetes/client-node");
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  return {
    latestReadyRevision: async () => {
      const object = (await api.getNamespacedCustomObject({ group: "serving.knative.dev", version: "v1", namespace, plural: "services", name: service })) as {
        status?: { latestReadyRevisionName?: string };
      };
      return object.status?.latestReadyRevisionName;
    },
  };
}

/** Knative names revisions `<configuration>-<generation, 5 digits>`: the generation orders them. */
export function revisionGeneration(revision: string): number | undefined {
  const match = /-(\d+)$/.exec(revision);
  return match ? Number(match[1]) : undefined;
}

/** Whether `latest` is a newer revision than `own`; undefined when the names do not tell. */
export function isSuperseded(own: string, latest: string | undefined): boolean | undefined {
  if (latest === undefined || latest === own) return false;
  const ownGeneration = revisionGeneration(own);
  const latestGeneration = revisionGeneration(latest);
  if (ownGeneration === undefined || latestGeneration === undefined) return undefined;
  return latestGeneration > ownGeneration;
}

export interface SupersessionWatch {
  stop(): void;
}

/**
 * Polls the source every `intervalMs` and calls `onSuperseded` once when a newer revision is ready. Errors (API
 * down, RBAC missing) are logged and retried: a worker never retires on a guess.
 */
export function watchSupersession(options: {
  own: string;
  source: RevisionSource;
  intervalMs: number;
  log: Logger;
  onSuperseded: (latest: string) => void;
}): SupersessionWatch {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let warned = false;
  const poll = async () => {
    try {
      const latest = await options.source.latestReadyRevision();
      const superseded = isSuperseded(options.own, latest);
      if (superseded === undefined && !warned) {
        warned = true;
        options.log.warn({ own: options.own, latest }, "revision names carry no generation; this revision never retires itself");
      }
      if (superseded && !stopped) {
        stopped = true;
        options.onSuperseded(latest!);
        return;
      }
    } catch (err) {
      options.log.warn({ err: errorText(err) }, "cannot read the Knative Service; retrying");
    }
    if (!stopped) timer = setTimeout(poll, options.intervalMs);
  };
  timer = setTimeout(poll, options.intervalMs);
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
