import { ResourceValidationPolicy } from "@pulumi/policy";
import { POSTGRESQL_ROLE } from "../lib/types";

/** Role attributes the worker never needs. */
const FORBIDDEN = ["superuser", "createRole", "createDatabase", "replication", "bypassRowLevelSecurity"];

export const postgresqlRoleLeastPrivilege: ResourceValidationPolicy = {
  name: "postgresql-role-least-privilege",
  description:
    "PostgreSQL roles created for the worker are not superusers and cannot create roles or databases, " +
    "replicate or bypass row-level security. Fix: leave those role attributes unset (false) and grant the " +
    "role only what it needs on its own database with a Grant.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== POSTGRESQL_ROLE) return;
    const granted = FORBIDDEN.filter((attr) => args.props[attr] === true);
    if (granted.length > 0) {
      reportViolation(`Role "${args.props.name ?? args.name}" has ${granted.join(", ")}; set them to false.`);
    }
  },
};
