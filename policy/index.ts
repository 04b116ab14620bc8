import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies/all";

// Constructing a PolicyPack starts the analyzer server for the Pulumi CLI; nothing else may construct one.
new PolicyPack("camunda-orchestrator-policies", { policies });
