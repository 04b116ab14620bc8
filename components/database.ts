import * as k8s from "@pulumi/kubernetes";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { postgresUrl } from "./connection-strings";
import { labels, objectNames, SECRET_KEYS } from "./naming";
import { guaranteedResources, restrictedSecurityContext } from "./workload";

/** An existing PostgreSQL server that `pulumi up` can reach as an administrator. */
export interface ExternalPostgres {
  /** Host name the worker and `pulumi up` connect to; may come from another stack. */
  host: pulumi.Input<string>;
  /** Port, usually 5432. */
  port: pulumi.Input<number>;
  /** The administrator that creates the role and the database (needs CREATEROLE and CREATEDB, not superuser). */
  adminUser: string;
  /** The administrator's password; kept secret. */
  adminPassword: pulumi.Input<string>;
  /** TLS to the server, for the provider and the worker alike. */
  sslMode: "disable" | "require" | "verify-ca" | "verify-full";
}

export interface SagaDatabaseArgs {
  /** Name of the orchestrator; names the role, the database and the Secret. */
  component: string;
  /** Namespace of the Secret (and of the in-cluster server). */
  namespace: pulumi.Input<string>;
  /**
   * `external`: a role and database on an existing server (needs `external`; a `postgresql` provider passed in the
   * resource options creates them instead of one built from `external`); `in-cluster`: one PostgreSQL pod for dev stacks.
   */
  mode: "external" | "in-cluster";
  /** For `external`: the server. */
  external?: ExternalPostgres;
}

/** Image of the in-cluster PostgreSQL, pinned. */
export const POSTGRES_IMAGE = "postgres:16.4-alpine";
const POSTGRES_UID = 70; // the postgres user of the alpine image

/**
 * The saga log's database. The worker gets one Secret key, DATABASE_URL, whatever the mode.
 */
export class SagaDatabase extends pulumi.ComponentResource {
  /** The Secret with DATABASE_URL. */
  public readonly secretName: pulumi.Output<string>;
  /** The key of the URL in that Secret. */
  public readonly secretKey: string = SECRET_KEYS.databaseUrl;
  /** Host the worker connects to. */
  public readonly host: pulumi.Output<string>;
  /** The saga log's database. */
  public readonly databaseName: pulumi.Output<string>;

  constructor(name: string, args: SagaDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("camunda-orchestrator:database:SagaDatabase", name, { mode: args.mode }, opts);
    const names = objectNames(args.component);
    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this, additionalSecretOutputs: ["result"] });
    const passwordValue = pulumi.secret(password.result);

    let url: pulumi.Output<string>;
    if (args.mode === "external") {
      if (!args.external) throw new pulumi.ResourceError(`SagaDatabase ${name}: external mode needs the server connection (args.external)`, this);
      const server = args.external;
      // A provider passed in the resource options reaches the children by inheritance; else one from the settings.
      const provider = this.getProvider("postgresql:index/role:Role")
        ? undefined
        : new postgresql.Provider(
            `${name}-provider`,
            {
              host: server.host,
              port: server.port,
              username: server.adminUser,
              password: pulumi.secret(server.adminPassword),
              sslmode: server.sslMode,
              superuser: false,
            },
            { parent: this },
          );
      const role = new postgresql.Role(
        `${name}-role`,
        {
          name: names.databaseRole,
          login: true,
          password: passwordValue,
          superuser: false,
          createRole: false,
          createDatabase: false,
          replication: false,
          inherit: true,
        },
        { parent: this, provider },
      );
      const database = new postgresql.Database(`${name}-database`, { name: names.database, owner: role.name }, { parent: this, provider });
      new postgresql.Grant(
        `${name}-connect`,
        {
          database: database.name,
          role: role.name,
          objectType: "database",
          privileges: ["CONNECT", "TEMPORARY"],
        },
        { parent: this, provider },
      );
      this.host = pulumi.output(server.host);
      this.databaseName = database.name;
      url = pulumi
        .all([role.name, passwordValue, database.name, server.host, server.port])
        .apply(([user, pw, db, host, port]) => postgresUrl({ user, password: pw, host, port, database: db, sslMode: server.sslMode }));
    } else {
      const podLabels = { ...labels(args.component, "postgres"), "app.kubernetes.io/instance": names.postgres };
      const service = new k8s.core.v1.Service(
        `${name}-service`,
        {
          metadata: { name: names.postgres, namespace: args.namespace, labels: podLabels },
          spec: { selector: podLabels, ports: [{ name: "postgres", port: 5432, targetPort: 5432 }], clusterIP: "None" },
        },
        { parent: this },
      );
      this.host = pulumi.interpolate`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`;
      this.databaseName = pulumi.output(names.database);
      url = pulumi
        .all([this.host, passwordValue])
        .apply(([host, pw]) => postgresUrl({ user: names.databaseRole, password: pw, host, port: 5432, database: names.database, sslMode: "disable" }));
      const adminSecret = new k8s.core.v1.Secret(
        `${name}-admin`,
        {
          metadata: { name: `${names.postgres}-admin`, namespace: args.namespace, labels: podLabels },
          type: "Opaque",
          stringData: pulumi.secret({ [SECRET_KEYS.postgresPassword]: passwordValue }),
        },
        { parent: this, additionalSecretOutputs: ["stringData", "data"] },
      );
      new k8s.apps.v1.StatefulSet(
        `${name}-statefulset`,
        {
          metadata: { name: names.postgres, namespace: args.namespace, labels: podLabels },
          spec: {
            serviceName: service.metadata.name,
            replicas: 1,
            selector: { matchLabels: podLabels },
            template: {
              metadata: { labels: podLabels },
              spec: {
                securityContext: { fsGroup: POSTGRES_UID },
                containers: [
                  {
                    name: "postgres",
                    image: POSTGRES_IMAGE,
                    ports: [{ name: "postgres", containerPort: 5432 }],
                    env: [
                      { name: "POSTGRES_USER", value: names.databaseRole },
                      { name: "POSTGRES_DB", value: names.database },
                      { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
                      { name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: adminSecret.metadata.name, key: SECRET_KEYS.postgresPassword } } },
                    ],
                    resources: guaranteedResources("250m", "256Mi"),
                    securityContext: restrictedSecurityContext(POSTGRES_UID, false),
                    readinessProbe: { exec: { command: ["pg_isready", "-U", names.databaseRole, "-d", names.database] }, periodSeconds: 5 },
                    volumeMounts: [
                      { name: "data", mountPath: "/var/lib/postgresql/data" },
                      { name: "run", mountPath: "/var/run/postgresql" },
                    ],
                  },
                ],
                volumes: [{ name: "run", emptyDir: {} }],
              },
            },
            volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "2Gi" } } } }],
          },
        },
        { parent: this },
      );
    }

    const secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: { name: names.databaseSecret, namespace: args.namespace, labels: labels(args.component, "database") },
        type: "Opaque",
        stringData: pulumi.secret(url.apply((value) => ({ [SECRET_KEYS.databaseUrl]: value }))),
      },
      { parent: this, additionalSecretOutputs: ["stringData", "data"] },
    );
    this.secretName = secret.metadata.name;
    this.registerOutputs({ secretName: this.secretName, host: this.host, databaseName: this.databaseName });
  }
}
