/** Kubernetes resource quantity formats, as the API server accepts them for cpu and memory. */
export const CPU_QUANTITY = /^(\d+m|\d+(\.\d{1,3})?)$/;
export const MEMORY_QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

/** DNS-1035 label: what Kubernetes accepts for Service (and so Knative Service) names. */
export const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** DNS-1123 subdomain hostname, optionally with a leading wildcard label. */
export const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;

/** Environment variable names a process can read portably. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** DNS-1123 subdomain: what Kubernetes accepts for most object names, e.g. a StorageClass. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
