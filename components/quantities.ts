// Kubernetes resource quantities, after the grammar in k8s.io/apimachinery pkg/api/resource/quantity.go:
//   <quantity> ::= <signedNumber><suffix>, <number> ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//   <suffix>   ::= <binarySI> (Ki Mi Gi Ti Pi Ei) | <decimalExponent> (e or E, then an integer) | <decimalSI> (m "" k M G T P E)
// Resource amounts take no sign. Of the suffixes, cpu takes only `m` and exponents (2k cores is a typo for
// something else), memory all but `m` (512m is half a byte, a typo for 512Mi).
const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`;
const EXPONENT = String.raw`[eE][+-]?\d+`;
export const CPU_QUANTITY = new RegExp(`^${NUMBER}(?:m|${EXPONENT})?$`);
export const MEMORY_QUANTITY = new RegExp(`^${NUMBER}(?:[KMGTPE]i|[kMGTPE]|${EXPONENT})?$`);

/** Whether a quantity that matched one of the patterns above is zero (`0`, `0.0m`, `0e3`). */
export function isZeroQuantity(quantity: string): boolean {
  return Number(/^[\d.]*/.exec(quantity)![0]) === 0;
}

/** DNS-1035 label: what Kubernetes accepts for Service (and so Knative Service) names. */
export const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** DNS-1123 subdomain hostname, optionally with a leading wildcard label. */
export const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;

/** Environment variable names a process can read portably. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** DNS-1123 subdomain: what Kubernetes accepts for most object names, e.g. a StorageClass. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
