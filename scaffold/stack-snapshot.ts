import * as pulumi from "@pulumi/pulumi";
import { redactSecretPayload } from "../render/redact";
import { RenderedResource } from "../render/types";

interface Recorded {
  type: string;
  name: string;
  parent: string | null;
  custom: boolean;
  props: pulumi.Inputs;
}

/**
 * Records every resource the program registers from now on (a stack transformation: it sees each
 * resource's type, name, parent and inputs), so the GitOps repository can be built from the same objects
 * the offline render writes. Call it before the program creates any resource.
 */
export function recordRegistrations(): { snapshot(): pulumi.Output<RenderedResource[]> } {
  const recorded: Recorded[] = [];
  pulumi.runtime.registerStackTransformation((args) => {
    const parent = args.opts.parent;
    recorded.push({
      type: args.type,
      name: args.name,
      parent: parent && pulumi.resourceType(parent) !== "pulumi:pulumi:Stack" ? pulumi.resourceName(parent) : null,
      custom: args.resource instanceof pulumi.CustomResource,
      props: args.props,
    });
    return undefined;
  });
  return {
    /** The recorded resources with their inputs resolved; a Secret's payload keeps only its keys. */
    snapshot: () =>
      pulumi.all(recorded.map((r) => pulumi.output(r.props))).apply((resolved) =>
        recorded.map((r, i): RenderedResource => ({
          type: r.type,
          name: r.name,
          urn: "",
          parent: r.parent,
          custom: r.custom,
          inputs: redactSecretPayload(r.type, resolved[i] as Record<string, unknown>),
        })),
      ),
  };
}
