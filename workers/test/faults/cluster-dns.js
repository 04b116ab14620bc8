// Preloaded into the worker process by the fault suite's discovery scenario (node -r): names ending in
// .svc.cluster.local resolve to 127.0.0.1, where the test's services listen on the ports their Kubernetes
// Services declare, as cluster DNS resolves a Service name to its address. Every other name is looked up as usual.
"use strict";
const dns = require("dns");
const lookup = dns.lookup;
dns.lookup = function clusterLookup(hostname, options, callback) {
  if (typeof hostname !== "string" || !hostname.endsWith(".svc.cluster.local")) return lookup.apply(this, arguments);
  const cb = typeof options === "function" ? options : callback;
  const all = typeof options === "object" && options !== null && options.all;
  if (all) process.nextTick(cb, null, [{ address: "127.0.0.1", family: 4 }]);
  else process.nextTick(cb, null, "127.0.0.1", 4);
  return undefined;
};
