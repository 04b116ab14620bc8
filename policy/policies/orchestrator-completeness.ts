import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { kubeType } from "../lib/k8s";
import { DEAD_LETTER_SUFFIX, topicOf } from "../lib/kafka";
import { ORCHESTRATOR } from "../lib/types";

/** True when `ancestor` is on `r`'s parent chain. */
export function descendsFrom(r: PolicyResource, ancestor: PolicyResource): boolean {
  for (let p = r.parent; p; p = p.parent) if (p.urn === ancestor.urn) return true;
  return false;
}

const isPrometheusRule = (type: string) => {
  const t = kubeType(type);
  return t?.group === "monitoring.coreos.com" && t.kind === "PrometheusRule";
};

export const orchestratorCompleteness: StackValidationPolicy = {
  name: "orchestrator-completeness",
  description:
    "Every CamundaOrchestrator that streams events on Kafka has its dead-letter topic (Redis Streams: the worker " +
    "creates streams; no event streaming: no topics) and, when monitoring is on, its PrometheusRule alerts. Fix: " +
    "create them as children of the orchestrator component, named <topicsPrefix>.dead-letter.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const orchestrators = args.resources.filter((r) => r.type === ORCHESTRATOR);
    if (orchestrators.length === 0) args.notApplicable("the stack has no CamundaOrchestrator");
    for (const o of orchestrators) {
      const { eventBus, monitoring } = o.props;
      // The engine gives a stack policy each resource's outputs: for a component, what it registers with
      // registerOutputs (the offline render records its args). Without these fields nothing can be checked.
      if ((eventBus !== "kafka" && eventBus !== "redis-streams") || typeof monitoring !== "boolean") {
        reportViolation(
          `Orchestrator "${o.name}" does not state eventBus and monitoring, so its parts cannot be checked: ` +
            "the component must register eventBus, monitoring and topicsPrefix among its outputs.",
          o.urn,
        );
        continue;
      }
      const parts = args.resources.filter((r) => descendsFrom(r, o));
      // Without event streaming the worker publishes nothing, so no topic is created.
      if (eventBus === "kafka" && o.props.enableEventStreaming !== false) {
        const expected = `${o.props.topicsPrefix ?? o.props.name ?? o.name}${DEAD_LETTER_SUFFIX}`;
        if (!parts.some((r) => topicOf(r.type, r.props)?.name === expected)) {
          reportViolation(`Orchestrator "${o.name}" has no dead-letter topic "${expected}" among its parts.`, o.urn);
        }
      }
      if (monitoring && !parts.some((r) => isPrometheusRule(r.type))) {
        reportViolation(`Orchestrator "${o.name}" has monitoring on but no PrometheusRule among its parts.`, o.urn);
      }
    }
  },
};
