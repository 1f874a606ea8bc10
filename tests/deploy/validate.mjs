// Offline checks of everything poolscaler ships for Kubernetes and Grafana:
//  - every Kubernetes object under deploy/ validates against its schema (kubernetes-models for
//    the built-in kinds, @kubernetes-models/keda and /prometheus-operator for the CRDs); a kind
//    with no schema here is an error, so nothing slips through unchecked;
//  - every kustomization's resources and generator files exist;
//  - the PrometheusRule carries exactly the groups of deploy/alerts/poolscaler-rules.yaml;
//  - the Grafana dashboards are well formed (datasource variable, unique panel ids, units,
//    queries on the datasource variable).
// Usage: node tests/deploy/validate.mjs REPO_ROOT
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import YAML from "yaml";

const require = createRequire(import.meta.url);
const root = path.resolve(process.argv[2] ?? ".");
const problems = [];
const counts = { objects: 0, kustomizations: 0, dashboards: 0, panels: 0 };
const fail = (where, message) => problems.push(`${where}: ${message}`);

function walk(dir, ext) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : walk(p, ext);
    return ext.some((x) => e.name.endsWith(x)) ? [p] : [];
  });
}
const rel = (p) => path.relative(root, p);

// apiVersion → the module holding its model classes.
function modelModule(apiVersion) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "keda.sh") return `@kubernetes-models/keda/keda.sh/${version}`;
  if (group === "monitoring.coreos.com") {
    return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/${version}`;
  }
  return group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
}

function validateObject(doc, where) {
  let mod;
  try {
    mod = require(modelModule(doc.apiVersion));
  } catch {
    return fail(where, `no schema for apiVersion ${doc.apiVersion}`);
  }
  const Model = mod[doc.kind];
  if (typeof Model !== "function") return fail(where, `no schema for ${doc.apiVersion} ${doc.kind}`);
  try {
    new Model(doc).validate();
    counts.objects++;
  } catch (e) {
    fail(where, `${doc.kind} ${doc.metadata?.name ?? "(no name)"}: ${e.message}`);
  }
}

function checkKustomization(doc, file) {
  counts.kustomizations++;
  const dir = path.dirname(file);
  for (const r of doc.resources ?? []) {
    if (!fs.existsSync(path.join(dir, r))) fail(rel(file), `resource ${r} does not exist`);
  }
  for (const g of doc.configMapGenerator ?? []) {
    for (const f of g.files ?? []) {
      const source = f.includes("=") ? f.split("=")[1] : f;
      if (!fs.existsSync(path.join(dir, source))) fail(rel(file), `file ${source} does not exist`);
    }
  }
}

// deploy/**.yaml: Kubernetes objects (apiVersion + kind) are validated; poolscaler configs and
// promtool files (no apiVersion) are checked elsewhere (check-config, promtool).
for (const file of walk(path.join(root, "deploy"), [".yaml", ".yml"])) {
  let docs;
  try {
    docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  } catch (e) {
    fail(rel(file), e.message);
    continue;
  }
  docs.forEach((d, i) => {
    const where = `${rel(file)} document ${i + 1}`;
    if (d.errors.length) return fail(where, d.errors.map((e) => e.message).join("; "));
    const doc = d.toJS();
    if (!doc || typeof doc !== "object") return;
    if (doc.kind === "Kustomization") return checkKustomization(doc, file);
    if (doc.apiVersion && doc.kind) validateObject(doc, where);
  });
}

// The Operator's PrometheusRule and the promtool rule file hold the same groups.
{
  const ruleFile = path.join(root, "deploy/alerts/poolscaler-rules.yaml");
  const crdFile = path.join(root, "deploy/base/prometheusrule.yaml");
  if (fs.existsSync(ruleFile) && fs.existsSync(crdFile)) {
    const rules = YAML.parse(fs.readFileSync(ruleFile, "utf8"));
    const crd = YAML.parse(fs.readFileSync(crdFile, "utf8"));
    if (JSON.stringify(rules.groups) !== JSON.stringify(crd.spec?.groups)) {
      fail(rel(crdFile), "spec.groups differ from deploy/alerts/poolscaler-rules.yaml");
    }
  } else {
    fail("deploy", "poolscaler-rules.yaml or prometheusrule.yaml is missing");
  }
}

// docker-compose.yml: the whole local stack, and every file it mounts exists.
{
  const file = path.join(root, "docker-compose.yml");
  if (!fs.existsSync(file)) {
    fail("docker-compose.yml", "missing");
  } else {
    const compose = YAML.parse(fs.readFileSync(file, "utf8"));
    for (const s of ["nats", "redis", "rabbitmq", "poolscaler", "prometheus", "grafana"]) {
      if (!compose.services?.[s]) fail("docker-compose.yml", `no service ${s}`);
    }
    for (const [name, svc] of Object.entries(compose.services ?? {})) {
      for (const v of svc.volumes ?? []) {
        const source = String(v).split(":")[0];
        if (source.startsWith(".") && !fs.existsSync(path.join(root, source))) {
          fail("docker-compose.yml", `service ${name} mounts ${source}, which does not exist`);
        }
      }
    }
    if (compose.services?.poolscaler?.build !== "." || !fs.existsSync(path.join(root, "Dockerfile"))) {
      fail("docker-compose.yml", "poolscaler is not built from the repository's Dockerfile");
    }
  }
}

// Grafana dashboards.
const panelsOf = (items) =>
  (items ?? []).flatMap((p) => (p.type === "row" ? [p, ...panelsOf(p.panels)] : [p]));
for (const file of walk(path.join(root, "dashboards"), [".json"])) {
  const where = rel(file);
  let d;
  try {
    d = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    fail(where, `not JSON: ${e.message}`);
    continue;
  }
  counts.dashboards++;
  for (const key of ["uid", "title", "panels", "templating", "schemaVersion"]) {
    if (d[key] === undefined) fail(where, `missing ${key}`);
  }
  const vars = d.templating?.list ?? [];
  const ds = vars.find((v) => v.type === "datasource" && v.query === "prometheus");
  if (!ds) fail(where, "no datasource variable of type prometheus");
  const dsRef = ds ? `\${${ds.name}}` : null;
  for (const v of vars.filter((v) => v.type === "query")) {
    if (v.datasource?.uid !== dsRef) fail(where, `variable ${v.name} does not query ${dsRef}`);
  }
  const ids = new Set();
  for (const p of panelsOf(d.panels)) {
    counts.panels++;
    const pw = `${where} panel ${p.id} "${p.title}"`;
    if (typeof p.id !== "number") fail(pw, "panel without a numeric id");
    else if (ids.has(p.id)) fail(pw, "duplicate panel id");
    ids.add(p.id);
    if (!p.title) fail(pw, "panel without a title");
    if (!p.gridPos) fail(pw, "panel without gridPos");
    if (p.type === "row") continue;
    if (["timeseries", "stat", "gauge", "bargauge"].includes(p.type) && !p.fieldConfig?.defaults?.unit) {
      fail(pw, "no unit (fieldConfig.defaults.unit)");
    }
    if (p.datasource?.uid !== dsRef) fail(pw, `datasource is not ${dsRef}`);
    const targets = p.targets ?? [];
    if (targets.length === 0 && p.type !== "text") fail(pw, "no queries");
    const refIds = new Set();
    for (const t of targets) {
      if (!t.expr || !t.expr.trim()) fail(pw, "a query without expr");
      if (refIds.has(t.refId)) fail(pw, `duplicate refId ${t.refId}`);
      refIds.add(t.refId);
    }
  }
}

for (const p of problems) console.log(`FAIL ${p}`);
console.log(
  `validate: ${counts.objects} Kubernetes objects, ${counts.kustomizations} kustomizations, ` +
    `${counts.dashboards} dashboards (${counts.panels} panels): ` +
    (problems.length ? `${problems.length} problem(s)` : "ok"),
);
process.exit(problems.length ? 1 : 0);
