import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { containersOf, kubeType, podSpecOf } from "../lib/k8s";
import { settings, stackOf } from "../lib/settings";
import { ORCHESTRATOR, REDIS_CACHE } from "../lib/types";
import { descendsFrom } from "./orchestrator-completeness";

const defaults = { productionStacks: ["prod", "production"] };

/** The last value given for a redis-server flag on the command line (later flags win), if any. */
function flag(argv: string[], name: string): string | undefined {
  const i = argv.lastIndexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((v): v is string => typeof v === "string") : []);

/** What keeps a workload's Redis from holding its data across a restart; empty when it persists. */
export function redisDataProblems(type: string, props: any): string[] {
  const pod = podSpecOf(type, props);
  const container = containersOf(pod).find((c) => [...strings(c?.command), String(c?.image ?? "")].some((s) => /(^|\/)redis(-server)?([:@]|$)/.test(s)));
  if (!container) return ["no redis container found"];
  const argv = [...strings(container.command), ...strings(container.args)];
  const problems: string[] = [];
  if (flag(argv, "appendonly") !== "yes") problems.push(`appendonly is ${flag(argv, "appendonly") ?? "unset (off)"}, not yes`);
  // The redis image's working directory, where Redis writes unless --dir says otherwise, is /data.
  const dir = flag(argv, "dir") ?? "/data";
  const mount = (Array.isArray(container.volumeMounts) ? container.volumeMounts : []).find((m: any) => m?.mountPath === dir);
  const volume = mount && (Array.isArray(pod?.volumes) ? pod.volumes : []).find((v: any) => v?.name === mount.name);
  const claimTemplates = kubeType(type)?.kind === "StatefulSet" ? (props?.spec?.volumeClaimTemplates ?? []) : [];
  const onClaim = volume?.persistentVolumeClaim !== undefined || (mount && claimTemplates.some((t: any) => t?.metadata?.name === mount.name));
  if (!onClaim) {
    const where = !mount
      ? "not on a mounted volume (it is the container's own filesystem)"
      : volume?.emptyDir !== undefined
        ? "an emptyDir, not a PersistentVolumeClaim"
        : `mounted from volume "${mount.name}", which is not a PersistentVolumeClaim`;
    problems.push(`its data directory ${dir} is ${where}`);
  }
  return problems;
}

export const redisStreamsDurability: StackValidationPolicy = {
  name: "redis-streams-durability",
  description:
    "In a production stack, an orchestrator whose event bus is Redis Streams keeps the bus in a Redis that keeps " +
    "its data: pending triggers live only there. Fix: the component's in-cluster Redis persists (append-only file " +
    "on a PersistentVolumeClaim) by itself; for an external Redis enable appendonly on the server and declare it " +
    "with the stack setting redisAppendOnly=true, or use Kafka.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      productionStacks: { type: "array", items: { type: "string" }, default: defaults.productionStacks, description: "Stack names this policy applies to." },
    },
  },
  validateStack: (args, reportViolation) => {
    const cfg = settings(args, defaults);
    const orchestrators = args.resources.filter((r) => r.type === ORCHESTRATOR && r.props.eventBus === "redis-streams");
    if (orchestrators.length === 0) args.notApplicable("no orchestrator uses the Redis Streams bus");
    for (const o of orchestrators) {
      const stack = stackOf(o.urn);
      if (!cfg.productionStacks.includes(stack)) continue;
      const { redisMode, redisAppendOnly } = o.props;
      if (redisMode === "external") {
        if (redisAppendOnly !== true) {
          reportViolation(
            `Orchestrator "${o.name}" carries its event bus on an external Redis that is not declared to keep its data: ` +
              "enable appendonly on that server and set redisAppendOnly=true, or use Kafka.",
            o.urn,
          );
        }
        continue;
      }
      if (redisMode !== "in-cluster") {
        reportViolation(
          `Orchestrator "${o.name}" does not state redisMode, so its Redis cannot be checked: the component must register redisMode and redisAppendOnly among its outputs.`,
          o.urn,
        );
        continue;
      }
      const caches = args.resources.filter((r) => r.type === REDIS_CACHE && descendsFrom(r, o));
      const workloads = args.resources.filter((r: PolicyResource) => podSpecOf(r.type, r.props) && caches.some((c) => descendsFrom(r, c)));
      if (workloads.length === 0) {
        reportViolation(`Orchestrator "${o.name}" has an in-cluster Redis but no Redis workload among its parts.`, o.urn);
      }
      for (const w of workloads) {
        const problems = redisDataProblems(w.type, w.props);
        if (problems.length > 0) {
          reportViolation(
            `Orchestrator "${o.name}" carries its event bus on Redis Streams, but its Redis "${w.name}" keeps no data: ${problems.join("; ")}.`,
            w.urn,
          );
        }
      }
    }
  },
};
