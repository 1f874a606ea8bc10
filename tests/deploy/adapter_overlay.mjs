// Offline checks of the external metrics API overlay (deploy/adapter) as kustomize would build it,
// and of every HorizontalPodAutoscaler under deploy/ that reads poolscaler's external metrics:
//  - the overlay's objects, with its inline JSON 6902 patches applied to the base's objects,
//    validate against their schemas (kubernetes-models), so the patched Deployment is checked;
//  - APIService v1beta1.external.metrics.k8s.io → its Service and port → a container port of the
//    pods that Service selects, and the --external-metrics-listen port is that container port;
//  - every --external-metrics-* argument is an option `poolscaler serve --help` lists, and every
//    file it names lies under a mounted Secret/ConfigMap volume;
//  - the RBAC an aggregated API server gets (system:auth-delegator, the authentication reader in
//    kube-system) is bound to the Deployment's service account, and a ClusterRole lets the HPA
//    controller list the served metrics; the NetworkPolicy admits the adapter port;
//  - each HPA's External metric is one poolscaler serves, selected by pool= / source= naming a
//    pool / source of the config named on the file's "# check-config: FILE" line.
// Usage: node tests/deploy/adapter_overlay.mjs REPO_ROOT POOLSCALER_BINARY
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import YAML from "yaml";

const require = createRequire(import.meta.url);
const root = path.resolve(process.argv[2] ?? ".");
const binary = process.argv[3];
const problems = [];
const fail = (where, message) => problems.push(`${where}: ${message}`);
const rel = (p) => path.relative(root, p);
// The metrics the adapter serves (src/adapter/metrics_api.h) and the label naming the series.
const SERVED = { "poolscaler-pool-desired": "pool", "poolscaler-source-lag": "source" };

function docsOf(file) {
  return YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))
    .map((d) => d.toJS())
    .filter((d) => d && typeof d === "object");
}

// The objects a kustomization directory builds (resources only; generators are not needed here).
function build(dir) {
  const [k] = docsOf(path.join(dir, "kustomization.yaml"));
  let objects = [];
  for (const r of k.resources ?? []) {
    const p = path.join(dir, r);
    if (fs.statSync(p).isDirectory()) objects = objects.concat(build(p));
    else objects = objects.concat(docsOf(p).map((o) => ({ ...o, _file: rel(p) })));
  }
  for (const patch of k.patches ?? []) applyPatch(objects, patch, rel(dir));
  return objects;
}

// JSON 6902 add/replace/remove with "/-" appends, on the object the target names.
function applyPatch(objects, patch, where) {
  const t = patch.target ?? {};
  const obj = objects.find((o) => o.kind === t.kind && o.metadata?.name === t.name);
  if (!obj) return fail(where, `patch target ${t.kind}/${t.name} is not among the resources`);
  if (!patch.patch) return fail(where, `patch on ${t.kind}/${t.name} is not inline`);
  for (const op of YAML.parse(patch.patch)) {
    const keys = op.path.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = keys.pop();
    let node = obj;
    for (const key of keys) {
      node = node?.[Array.isArray(node) ? Number(key) : key];
    }
    if (node === undefined || node === null) {
      fail(where, `patch path ${op.path} does not exist in ${t.kind}/${t.name}`);
      continue;
    }
    if (op.op === "add" && Array.isArray(node) && last === "-") node.push(op.value);
    else if (op.op === "add" || op.op === "replace") node[last] = op.value;
    else if (op.op === "remove") delete node[last];
    else fail(where, `unsupported patch op ${op.op}`);
  }
}

function modelOf(doc) {
  const [group, version] = doc.apiVersion.includes("/") ? doc.apiVersion.split("/") : ["", doc.apiVersion];
  const mod = group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
  if (group.endsWith("coreos.com")) return null;  // Prometheus Operator kinds: validate.mjs checks them
  return require(mod)[doc.kind];
}

const overlayDir = path.join(root, "deploy/adapter");
const objects = build(overlayDir);
let validated = 0;
for (const o of objects) {
  const { _file, ...doc } = o;
  const Model = modelOf(doc);
  if (Model === null) continue;
  if (typeof Model !== "function") {
    fail(_file, `no schema for ${doc.apiVersion} ${doc.kind}`);
    continue;
  }
  try {
    new Model(doc).validate();
    validated++;
  } catch (e) {
    fail(_file, `${doc.kind} ${doc.metadata?.name} after the overlay's patches: ${e.message}`);
  }
}

const find = (kind, name) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
const apiService = find("APIService", "v1beta1.external.metrics.k8s.io");
const deployment = find("Deployment", "poolscaler");
if (!apiService) fail("deploy/adapter", "no APIService v1beta1.external.metrics.k8s.io");
if (!deployment) fail("deploy/adapter", "no Deployment poolscaler");
if (apiService && deployment) {
  const spec = apiService.spec;
  if (spec.group !== "external.metrics.k8s.io" || spec.version !== "v1beta1") {
    fail(apiService._file, "the APIService is not external.metrics.k8s.io/v1beta1");
  }
  if (spec.insecureSkipTLSVerify) fail(apiService._file, "insecureSkipTLSVerify must stay off");
  const svc = objects.find((o) => o.kind === "Service" && o.metadata.name === spec.service?.name &&
                                  o.metadata.namespace === spec.service?.namespace);
  const pod = deployment.spec.template;
  const container = pod.spec.containers[0];
  if (!svc) {
    fail(apiService._file, `Service ${spec.service?.namespace}/${spec.service?.name} is not in the overlay`);
  } else {
    const port = svc.spec.ports.find((p) => p.port === (spec.service.port ?? 443));
    if (!port) fail(svc._file, `no port ${spec.service.port ?? 443} for the APIService`);
    for (const [k, v] of Object.entries(svc.spec.selector ?? {})) {
      if (pod.metadata.labels?.[k] !== v) fail(svc._file, `selector ${k}=${v} does not select poolscaler's pods`);
    }
    const target = port && (container.ports ?? []).find(
      (p) => p.name === port.targetPort || p.containerPort === port.targetPort);
    if (port && !target) fail(svc._file, `targetPort ${port.targetPort} is no container port of poolscaler`);
    const listen = (container.args ?? []).find((a) => a.startsWith("--external-metrics-listen="));
    if (!listen) fail("deploy/adapter", "the Deployment does not pass --external-metrics-listen");
    else if (target && !listen.endsWith(`:${target.containerPort}`)) {
      fail("deploy/adapter", `${listen} is not the container port ${target.containerPort}`);
    }
  }

  // Arguments: known options, files under mounted volumes.
  const help = binary ? execFileSync(binary, ["serve", "--help"], { encoding: "utf8" }) : "";
  const mounts = (container.volumeMounts ?? []).map((m) => ({
    ...m, volume: (pod.spec.volumes ?? []).find((v) => v.name === m.name) }));
  for (const arg of (container.args ?? []).filter((a) => a.startsWith("--external-metrics-"))) {
    const [flag, value] = arg.split("=", 2);
    if (binary && !new RegExp(`(^|\\s)${flag}(\\s|$)`, "m").test(help)) {
      fail("deploy/adapter", `${flag} is not an option of poolscaler serve`);
    }
    if (/-(cert|key|ca)$/.test(flag)) {
      // The deepest mount holding the path; the file must be one of its keys (no subdirectory).
      const m = mounts.filter((x) => value.startsWith(x.mountPath + "/"))
        .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
      if (!m || !(m.volume?.secret || m.volume?.configMap) ||
          value.slice(m.mountPath.length + 1).includes("/")) {
        fail("deploy/adapter", `${arg}: not a key of a Secret or ConfigMap volume mounted there`);
      }
    }
  }

  // RBAC.
  const sa = { kind: "ServiceAccount", name: pod.spec.serviceAccountName, namespace: deployment.metadata.namespace };
  const boundTo = (binding, roleKind, roleName, subject) =>
    binding.roleRef?.kind === roleKind && binding.roleRef?.name === roleName &&
    (binding.subjects ?? []).some((s) => s.kind === subject.kind && s.name === subject.name &&
                                         s.namespace === subject.namespace);
  if (!objects.some((o) => o.kind === "ClusterRoleBinding" && boundTo(o, "ClusterRole", "system:auth-delegator", sa))) {
    fail("deploy/adapter", "no ClusterRoleBinding of system:auth-delegator to poolscaler's service account");
  }
  if (!objects.some((o) => o.kind === "RoleBinding" && o.metadata.namespace === "kube-system" &&
                           boundTo(o, "Role", "extension-apiserver-authentication-reader", sa))) {
    fail("deploy/adapter", "no RoleBinding of extension-apiserver-authentication-reader in kube-system");
  }
  const hpa = { kind: "ServiceAccount", name: "horizontal-pod-autoscaler", namespace: "kube-system" };
  const readers = objects.filter((o) => o.kind === "ClusterRole" && (o.rules ?? []).some((r) =>
    r.apiGroups?.includes("external.metrics.k8s.io") && r.verbs?.includes("list") &&
    Object.keys(SERVED).every((m) => r.resources?.includes(m) || r.resources?.includes("*"))));
  if (!readers.some((role) => objects.some((o) => o.kind === "ClusterRoleBinding" &&
                                                  boundTo(o, "ClusterRole", role.metadata.name, hpa)))) {
    fail("deploy/adapter", "no ClusterRole letting kube-system/horizontal-pod-autoscaler list the served metrics");
  }
  const policy = find("NetworkPolicy", "poolscaler");
  const listenPort = Number((container.args ?? []).find((a) => a.startsWith("--external-metrics-listen="))?.split(":").pop());
  if (policy && !(policy.spec.ingress ?? []).some((i) => (i.ports ?? []).some((p) => p.port === listenPort))) {
    fail("deploy/adapter", `the NetworkPolicy does not admit port ${listenPort}`);
  }
}

// HPAs reading poolscaler's external metrics.
let hpas = 0;
const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".yaml") ? [path.join(dir, e.name)] : []);
for (const file of walk(path.join(root, "deploy"))) {
  for (const doc of docsOf(file).filter((d) => d.kind === "HorizontalPodAutoscaler")) {
    const external = (doc.spec?.metrics ?? []).filter((m) => m.type === "External" &&
                                                             m.external?.metric?.name?.startsWith("poolscaler-"));
    if (!external.length) continue;
    hpas++;
    const cfgLine = fs.readFileSync(file, "utf8").match(/^# check-config: *(\S+)/m);
    const cfg = cfgLine ? YAML.parse(fs.readFileSync(path.join(root, cfgLine[1]), "utf8")) : null;
    if (!cfg) fail(rel(file), "names no config (# check-config: FILE)");
    for (const m of external) {
      const name = m.external.metric.name;
      const key = SERVED[name];
      if (!key) {
        fail(rel(file), `${name} is not a metric poolscaler serves (${Object.keys(SERVED).join(", ")})`);
        continue;
      }
      const wanted = m.external.metric.selector?.matchLabels?.[key];
      const known = (key === "pool" ? cfg?.pools : cfg?.sources)?.map((x) => x.name) ?? [];
      if (!wanted) fail(rel(file), `${name} needs selector.matchLabels.${key}`);
      else if (cfg && !known.includes(wanted)) fail(rel(file), `${key} ${wanted} is not in ${cfgLine[1]}`);
    }
  }
}
if (hpas === 0) fail("deploy", "no HorizontalPodAutoscaler example reads poolscaler's external metrics");

for (const p of problems) console.log(`FAIL ${p}`);
console.log(`adapter_overlay: ${objects.length} objects built, ${validated} validated, ${hpas} HPA file(s): ` +
            (problems.length ? `${problems.length} problem(s)` : "ok"));
process.exit(problems.length ? 1 : 0);
