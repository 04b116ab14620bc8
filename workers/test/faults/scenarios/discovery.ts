// Hostile and malformed Kubernetes data while sagas run: Services of the same names in another watched
// namespace (older ones, new ones, deleted and created again), malformed list items and watch events, dropped
// watches. The services are found through a Kubernetes list/watch API on loopback, their names resolved as
// cluster DNS would (cluster-dns.js preloaded into the worker).
import * as path from "path";
import { FakeKubeApi, writeKubeconfig } from "../../support/fake-kube-api";
import { tempDir } from "../../support/harness";
import { startSagaService } from "../saga-services";
import { standardSaga, standardServices, STEPS } from "../sagas";
import { outcomeOf, Scenario, World } from "../world";

const OURS = "shop";
const INTRUDER = "intruder";
const portOf = (url: string) => Number(new URL(url).port);

export function hostileDiscoveryScenario(o: { name: string; sagas: number; salt: number }): Scenario {
  const items = [13, 16];
  return {
    name: o.name,
    items,
    proves: `${o.sagas} sagas while another watched namespace claims the services' names (an older Service, new ones, deleted and re-created) and the API sends malformed list items and watch events and drops its watches: the intruder receives nothing, collisions are refused and counted, no unhandled rejection, every saga ends`,
    async run(ctx) {
      const [kube, hostile] = await Promise.all([FakeKubeApi.start(), startSagaService("hostile")]);
      let world: World | undefined;
      try {
        world = await World.create(ctx, {
          name: o.name,
          services: standardServices(),
          salt: o.salt,
          staticServices: false,
          preload: [path.join(__dirname, "..", "cluster-dns.js")],
          // Our namespace first: it owns its names whatever else claims them, however old.
          env: { KUBECONFIG: writeKubeconfig(tempDir("kubeconfig-"), kube.url, "fault-suite"), DISCOVERY_NAMESPACES: `${OURS},*` },
        });
        const w = world;
        kube.upsert(INTRUDER, "payment", portOf(hostile.url), undefined, "2020-01-01T00:00:00Z");
        for (const s of w.services) kube.upsert(OURS, s.name, portOf(s.url));
        const specs = Array.from({ length: o.sagas }, (_, i) => standardSaga(`${o.name}-${i}`, w.random.pick([undefined, "shipping"] as const)));
        await w.startWorker();
        const sagas = w.runSagas(specs, { staggerMs: 400 });

        // While they run: hostile claims and malformed data, a step at a time.
        const pause = () => new Promise((r) => setTimeout(r, 300));
        kube.upsert(INTRUDER, "shipping", portOf(hostile.url));
        await pause();
        kube.emitRaw({ type: "ADDED" });
        kube.emitRaw({ type: "MODIFIED", object: null });
        kube.emitRaw({ type: "DELETED", object: { spec: {} } });
        // (Not one of our Services with an unusable port: that would be our Service losing its port, which by the
        // documented rule gives its name to the next claimant.)
        kube.emitRaw({ type: "ADDED", object: { metadata: { name: "ghost", namespace: OURS }, spec: { ports: "8080" } } });
        await pause();
        kube.remove(INTRUDER, "payment");
        kube.upsert(INTRUDER, "invoice", portOf(hostile.url));
        await pause();
        kube.upsert(INTRUDER, "payment", portOf(hostile.url));
        kube.malformedListItems = [
          null,
          {},
          { metadata: { namespace: INTRUDER } },
          { metadata: { name: "inventory", namespace: INTRUDER }, spec: { ports: [{ port: "x" }] } },
        ];
        kube.dropWatches(); // the worker lists again and meets the malformed items
        await pause();
        for (const s of STEPS) kube.upsert(INTRUDER, s, portOf(hostile.url));
        const runs = await sagas;

        const problems = hostile.exchanges.length > 0 ? [`the intruder's Services received ${hostile.exchanges.length} request(s)`] : [];
        const collisions = await w.worker.metric("worker_discovery_name_collisions_total");
        const malformed = await w.worker.metric("worker_discovery_malformed_objects_total");
        if (!(collisions > 0)) problems.push("no name collision counted (worker_discovery_name_collisions_total)");
        if (!(malformed > 0)) problems.push("no malformed object counted (worker_discovery_malformed_objects_total)");
        return await w.verdict(
          o.name,
          items,
          runs.map((r) => outcomeOf(r)),
          {
            problems,
            notes: [`intruder: ${hostile.exchanges.length} requests; collisions refused ${collisions}, malformed objects skipped ${malformed}`],
          },
        );
      } finally {
        await world?.close();
        await Promise.all([kube.stop(), hostile.stop()]);
      }
    },
  };
}
