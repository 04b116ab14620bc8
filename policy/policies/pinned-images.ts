import { ResourceValidationPolicy } from "@pulumi/policy";
import { containerLabel, containersOf, podSpecOf } from "../lib/k8s";
import { settings } from "../lib/settings";

/** Why an image reference is not pinned, or undefined. A tag is what follows `:` in the last path segment. */
export function unpinnedReason(image: unknown, requireDigest: boolean): string | undefined {
  if (typeof image !== "string" || image.trim() === "") return "it has no image";
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
  if (requireDigest) return `image "${image}" has no sha256 digest`;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  if (colon < 0) return `image "${image}" has no tag (it means latest)`;
  if (lastSegment.slice(colon + 1).toLowerCase() === "latest") return `image "${image}" uses the latest tag`;
  return undefined;
}

const defaults = { requireDigest: false };

export const pinnedImages: ResourceValidationPolicy = {
  name: "pinned-images",
  description:
    "Every workload image is pinned by digest or an explicit tag other than `latest`. Fix: use " +
    "`repo/image:1.2.3` or `repo/image@sha256:<digest>` (e.g. `--config workerImage=...`).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      requireDigest: {
        type: "boolean",
        default: defaults.requireDigest,
        description: "Accept only `@sha256:` digests, not tags.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const { requireDigest } = settings(args, defaults);
    for (const c of containersOf(podSpecOf(args.type, args.props))) {
      const why = unpinnedReason(c?.image, requireDigest);
      if (why) reportViolation(`${containerLabel(c)}: ${why}; pin it by digest or a version tag.`);
    }
  },
};
