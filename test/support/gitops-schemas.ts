// One validator for every object of a GitOps tree: the render's Kubernetes objects (kubernetes-models and
// the project's other schema sources), Argo CD Applications (@kubernetes-models/argo-cd, CommonJS 2.x,
// whose argoproj.io/v1alpha1 is still Argo CD's current API), and Flux / External Secrets objects
// (upstream CRDs, see gitops-crds.ts).
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1";
import { hasUpstreamCrd, validateAgainstCrd } from "./gitops-crds";
import { validateAgainstSchema } from "./schemas";

/** Validates one object and returns which schema did it; throws when invalid or when none covers it. */
export function validateGitopsObject(object: Record<string, unknown>): string {
  const apiVersion = String(object.apiVersion);
  const kind = String(object.kind);
  if (apiVersion === Application.apiVersion && kind === Application.kind) {
    new Application(object as never).validate();
    return "@kubernetes-models/argo-cd argoproj.io/v1alpha1 Application";
  }
  if (hasUpstreamCrd(apiVersion, kind)) return validateAgainstCrd(object);
  return validateAgainstSchema(object);
}
