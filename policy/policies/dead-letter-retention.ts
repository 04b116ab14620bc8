import { ResourceValidationPolicy } from "@pulumi/policy";
import { DEAD_LETTER_SUFFIX, numberSetting, topicOf } from "../lib/kafka";
import { settings } from "../lib/settings";

const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;
const defaults = { minDeadLetterRetentionMs: SEVEN_DAYS_MS };

export const deadLetterRetention: ResourceValidationPolicy = {
  name: "dead-letter-retention",
  description:
    `A dead-letter topic (*${DEAD_LETTER_SUFFIX}) keeps its records long enough to replay failed ` +
    "compensations. Fix: set config retention.ms to at least the configured minimum (7 days by default), " +
    "or -1 to keep them forever.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minDeadLetterRetentionMs: { type: "integer", minimum: 0, default: defaults.minDeadLetterRetentionMs },
    },
  },
  validateResource: (args, reportViolation) => {
    const topic = topicOf(args.type, args.props);
    if (!topic || !topic.name.endsWith(DEAD_LETTER_SUFFIX)) return;
    const { minDeadLetterRetentionMs } = settings(args, defaults);
    const retention = numberSetting(topic.config["retention.ms"]);
    if (retention === -1) return;
    if (retention === undefined || retention < minDeadLetterRetentionMs) {
      reportViolation(
        `Dead-letter topic "${topic.name}" has retention.ms ${retention ?? "unset (broker default)"}; ` +
          `it needs at least ${minDeadLetterRetentionMs} ms or -1.`,
      );
    }
  },
};
