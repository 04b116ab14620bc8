// The render's manifests/ is a tree a GitOps tool applies as is (issue 10 item 8): a kustomization with
// the Namespace first, the Camunda chart as Flux or Argo CD objects, and no secret values anywhere.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { RenderResult } from "../render/types";
import { writeRender } from "../render/write";
import { findInFiles, listFiles } from "./support/files";
import { validateGitopsObject } from "./support/gitops-schemas";
import { KUBECTL_MISSING, kubectlBinary, kustomizeBuild } from "./support/kustomize";
import { FAKE_SECRETS, RenderCase, renderCase, secretValuesOf } from "./support/render-cases";

type Obj = Record<string, any>;

const SAAS = { saasClusterId: "5e2c9a1b-0000-4000-8000-00000000beef", saasRegion: "bru-2", saasClientId: "payments-dev-client" };

const CASES: RenderCase[] = [
  { label: "dev (flux, external-secrets)", options: { stack: "dev" } },
  { label: "prod (flux, external-secrets)", options: { stack: "prod", secrets: { ...FAKE_SECRETS } } },
  { label: "dev + platform-multi (argocd)", options: { stack: "dev", appFile: "examples/platform-multi.yaml", config: { gitopsTool: "argocd" } } },
  {
    label: "dev + payments-remote (manual secrets)",
    options: {
      stack: "dev",
      appFile: "examples/payments-remote.yaml",
      config: { ...SAAS, gitopsSecrets: "manual" },
      secrets: { saasClientSecret: FAKE_SECRETS.saasClientSecret },
    },
  },
];

/** Every object in the YAML files under manifests/ (kustomizations excluded). */
function treeObjects(dir: string): Array<{ file: string; object: Obj }> {
  return listFiles(path.join(dir, "manifests"))
    .filter((f) => f.endsWith(".yaml") && path.basename(f) !== "kustomization.yaml")
    .flatMap((file) => parseAllDocuments(fs.readFileSync(path.join(dir, "manifests", file), "utf8")).map((d) => ({ file, object: d.toJS() as Obj })));
}

const id = (o: Obj) => `${o.apiVersion} ${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;

/** Every secretKeyRef of every pod template and Knative Service in the tree. */
function secretKeyRefs(objects: Obj[]): Array<{ owner: string; name: string; key: string }> {
  const refs: Array<{ owner: string; name: string; key: string }> = [];
  const walk = (value: unknown, owner: string) => {
    if (Array.isArray(value)) value.forEach((v) => walk(v, owner));
    else if (value && typeof value === "object") {
      const ref = (value as Obj).secretKeyRef;
      if (ref) refs.push({ owner, name: String(ref.name), key: String(ref.key) });
      Object.values(value).forEach((v) => walk(v, owner));
    }
  };
  objects.forEach((o) => walk(o.spec, id(o)));
  return refs;
}

describe("GitOps tree of the render (manifests/)", function () {
  this.timeout(120_000);
  const tempDirs: string[] = [];
  after(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
  const kubectl = kubectlBinary();

  for (const c of CASES) {
    describe(c.label, () => {
      let result: RenderResult;
      let dir: string;
      let objects: Obj[];
      const argocd = c.options.config?.gitopsTool === "argocd";
      const manual = c.options.config?.gitopsSecrets === "manual";
      before(async () => {
        result = await renderCase(c);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-render-"));
        tempDirs.push(dir);
        writeRender(result, dir);
        objects = treeObjects(dir).map((e) => e.object);
      });

      it("holds each orchestrator's Grafana dashboard as a ConfigMap labelled for the dashboard sidecar", () => {
        const dashboards = objects.filter((o) => o.kind === "ConfigMap" && o.metadata?.labels?.grafana_dashboard === "1");
        assert.ok(dashboards.length > 0, "a dashboard ConfigMap in manifests/");
        for (const d of dashboards) {
          const [json] = Object.values(d.data) as string[];
          assert.ok(Array.isArray(JSON.parse(json).panels), "a Grafana dashboard model");
        }
      });

      it("holds no Secret, no redaction marker and no secret value anywhere in the output", () => {
        assert.ok(objects.length > 0);
        assert.deepEqual(objects.filter((o) => o.apiVersion === "v1" && o.kind === "Secret").map(id), []);
        assert.deepEqual(findInFiles(path.join(dir, "manifests"), ["[secret]"]), []);
        assert.deepEqual(findInFiles(dir, [...secretValuesOf(c.options), "render-generated-"]), []);
      });

      it("provides every Secret a workload references, with each key, or lists it for the operator", () => {
        const rendered = result.resources.filter((r) => r.type === "kubernetes:core/v1:Secret");
        assert.ok(rendered.length > 0);
        const externalSecrets = objects.filter((o) => o.kind === "ExternalSecret");
        const provided = new Map(externalSecrets.map((o) => [o.spec.target.name as string, new Set((o.spec.data as Obj[]).map((d) => d.secretKey as string))]));
        const secretsDoc = fs.readFileSync(path.join(dir, "SECRETS.md"), "utf8");
        for (const r of rendered) {
          const name = String((r.inputs.metadata as Obj).name);
          assert.ok(secretsDoc.includes(name), `SECRETS.md does not list ${name}`);
          if (manual) assert.match(secretsDoc, new RegExp(`kubectl create secret generic ${name} --namespace`));
        }
        if (manual) {
          assert.deepEqual(externalSecrets.map(id), []);
          return;
        }
        assert.equal(externalSecrets.length, rendered.length, "one ExternalSecret per Secret the stack needs");
        for (const es of externalSecrets) {
          assert.equal(es.apiVersion, "external-secrets.io/v1");
          assert.deepEqual(es.spec.secretStoreRef, { kind: "ClusterSecretStore", name: "camunda-orchestrator" });
          for (const entry of es.spec.data as Obj[]) {
            assert.equal(entry.remoteRef.key, `${c.options.stack}/${es.metadata.namespace}/${es.metadata.name}`);
            assert.equal(entry.remoteRef.property, entry.secretKey);
          }
        }
        const refs = secretKeyRefs(objects);
        assert.ok(
          refs.some((r) => r.key === "DATABASE_URL"),
          "no workload reads DATABASE_URL: the scan is vacuous",
        );
        for (const ref of refs) assert.ok(provided.get(ref.name)?.has(ref.key), `${ref.owner} reads ${ref.name}/${ref.key}, which no ExternalSecret provides`);
      });

      it("expresses the Camunda chart as the GitOps tool's own objects, with the render's values", () => {
        const releases = result.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
        const helmReleases = objects.filter((o) => o.kind === "HelmRelease");
        const applications = objects.filter((o) => o.kind === "Application");
        if (releases.length === 0) {
          assert.deepEqual([...helmReleases, ...applications].map(id), []);
          return;
        }
        for (const release of releases) {
          const inputs = release.inputs as Obj;
          if (argocd) {
            const app = applications.find((a) => a.spec.source.helm.releaseName === inputs.name);
            assert.ok(app, `no Application for ${inputs.name}`);
            assert.equal(app.metadata.namespace, "argocd");
            assert.deepEqual(app.spec.source, {
              repoURL: inputs.repositoryOpts.repo,
              chart: "camunda-platform",
              targetRevision: inputs.version,
              helm: { releaseName: inputs.name, valuesObject: inputs.values },
            });
            assert.equal(app.spec.destination.namespace, inputs.namespace);
          } else {
            const hr = helmReleases.find((o) => o.metadata.name === inputs.name);
            assert.ok(hr, `no HelmRelease for ${inputs.name}`);
            assert.equal(hr.apiVersion, "helm.toolkit.fluxcd.io/v2");
            assert.deepEqual(hr.spec.values, inputs.values);
            assert.deepEqual(hr.spec.chart.spec, {
              chart: "camunda-platform",
              version: inputs.version,
              sourceRef: { kind: "HelmRepository", name: inputs.name },
            });
            const repo = objects.find((o) => o.kind === "HelmRepository" && o.metadata.name === inputs.name && o.metadata.namespace === inputs.namespace);
            assert.equal(repo?.spec.url, inputs.repositoryOpts.repo);
          }
        }
        assert.equal(argocd ? helmReleases.length : applications.length, 0, "objects of the other GitOps tool");
      });

      it("validates every object against upstream schemas (kubernetes-models, Argo CD models, Flux and External Secrets CRDs)", () => {
        const failures: string[] = [];
        for (const object of objects) {
          try {
            validateGitopsObject(object);
          } catch (error) {
            failures.push(`${id(object)}: ${(error as Error).message}`);
          }
        }
        assert.deepEqual(failures, []);
      });

      it("lists what GitOps cannot apply and what to do next", () => {
        const next = fs.readFileSync(path.join(dir, "NEXT-STEPS.md"), "utf8");
        assert.match(next, /kubectl apply -k/);
        const outside = result.resources.filter((r) => r.custom && /^(postgresql|kafka):/.test(r.type) && !r.type.includes(":providers:"));
        for (const r of outside) assert.ok(next.includes(r.type), `NEXT-STEPS.md does not mention ${r.type} (${r.name})`);
      });

      it("assembles with `kubectl kustomize`: every object once, the Namespace first", function () {
        if (!kubectl) this.skip();
        const built = kustomizeBuild(kubectl!, path.join(dir, "manifests"));
        assert.deepEqual(built.map(id).sort(), objects.map(id).sort());
        assert.equal(built.filter((o) => o.kind === "Namespace").length, 1, "these stacks create their namespace");
        assert.equal(built[0].kind, "Namespace", `first object: ${id(built[0])}`);
      });
    });
  }

  it("kubectl is there (else the assembly tests above were skipped)", function () {
    if (!kubectl) {
      console.warn(`      skipped kustomize assembly: ${KUBECTL_MISSING}`);
      this.skip();
    }
  });
});

describe("upstream CRD validation (test/support/gitops-crds.ts)", () => {
  const helmRelease = () => ({
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: "x", namespace: "y" },
    spec: {
      interval: "10m",
      chart: { spec: { chart: "camunda-platform", version: "13.0.0", sourceRef: { kind: "HelmRepository", name: "x" } } },
      values: { any: { thing: 1 } },
    },
  });

  it("accepts a valid object and free-form Helm values", () => {
    assert.match(validateGitopsObject(helmRelease()), /helm\.toolkit\.fluxcd\.io_helmreleases\.yaml/);
  });

  it("rejects a misspelt field, a wrong enum and a missing required field, naming the path", () => {
    const misspelt = helmRelease() as Obj;
    misspelt.spec.chart.spec.sourceRefs = misspelt.spec.chart.spec.sourceRef;
    assert.throws(() => validateGitopsObject(misspelt), /sourceRefs/);
    const wrongKind = helmRelease() as Obj;
    wrongKind.spec.chart.spec.sourceRef.kind = "GitRepo";
    assert.throws(() => validateGitopsObject(wrongKind), /sourceRef\/kind/);
    const es = { apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", metadata: { name: "s" }, spec: { data: [{ secretKey: "K" }] } };
    assert.throws(() => validateGitopsObject(es), /remoteRef/);
  });

  it("knows no served external-secrets.io/v1beta1 or helm v2beta2: the controllers stopped serving them", () => {
    assert.throws(() => validateGitopsObject({ ...helmRelease(), apiVersion: "helm.toolkit.fluxcd.io/v2beta2" }), /no schema model|no served/);
  });
});
