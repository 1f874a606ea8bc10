// Writes the Grafana dashboards in this directory from one compact description, so every panel
// shares the same datasource variable, label filters and layout rules.
//   node dashboards/generate.mjs          (re)write the JSON files
//   node dashboards/generate.mjs --check  fail if a JSON file differs from what this writes
// tests/deploy runs --check, and evaluates every query against a live Prometheus.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const DS = { type: "prometheus", uid: "${datasource}" };
// Series of one poolscaler deployment: the namespace label is set by the ServiceMonitor /
// scrape config in a cluster, and absent on a laptop (".*" matches both).
const NS = 'namespace=~"$namespace"';

function variables(extra) {
  return {
    list: [
      { name: "datasource", label: "Prometheus", type: "datasource", query: "prometheus",
        current: {}, hide: 0 },
      queryVar("namespace", "Namespace", "label_values(poolscaler_build_info, namespace)"),
      ...extra,
    ],
  };
}

function queryVar(name, label, query, { multi = true } = {}) {
  return {
    name, label, type: "query", datasource: DS,
    query: { query, refId: `${name}-var` },
    definition: query, refresh: 2, sort: 1, multi, includeAll: true, allValue: ".*",
    current: { selected: true, text: ["All"], value: ["$__all"] }, hide: 0,
  };
}

// A panel; `queries` are [expr, legend] pairs.
function panel(type, title, unit, queries, extra = {}) {
  return {
    type, title, datasource: DS,
    description: extra.description ?? "",
    fieldConfig: {
      defaults: { unit, ...(extra.defaults ?? {}) },
      overrides: [],
    },
    options: extra.options ?? {},
    ...(extra.w ? { w: extra.w } : {}),
    ...(extra.h ? { h: extra.h } : {}),
    targets: queries.map(([expr, legendFormat], i) => ({
      datasource: DS, expr, legendFormat, refId: String.fromCharCode(65 + i),
      ...(type === "table" || type === "state-timeline" ? { instant: type === "table" } : {}),
    })),
  };
}
const ts = (title, unit, queries, extra) =>
  panel("timeseries", title, unit, queries, {
    ...extra,
    defaults: { custom: { lineInterpolation: "stepAfter", fillOpacity: 10 }, min: 0,
                ...(extra?.defaults ?? {}) },
  });
const stat = (title, unit, queries, extra) => panel("stat", title, unit, queries, extra);
const row = (title) => ({ type: "row", title, collapsed: false, panels: [] });

// Lays panels out left to right in rows of 24 columns; a row panel starts a new line.
function layout(items) {
  let x = 0, y = 0, id = 1;
  return items.map((p) => {
    const w = p.type === "row" ? 24 : p.w ?? 12;
    const h = p.type === "row" ? 1 : p.h ?? 8;
    if (p.type === "row" || x + w > 24) { if (x > 0) y += 8; x = 0; }
    const out = { id: id++, gridPos: { x, y, w, h }, ...p };
    delete out.w; delete out.h;
    if (p.type === "row") { y += 1; x = 0; } else { x += w; if (x >= 24) { x = 0; y += h; } }
    return out;
  });
}

function dashboard(uid, title, description, vars, items) {
  return {
    uid, title, description, tags: ["poolscaler"], editable: true, schemaVersion: 38,
    time: { from: "now-1h", to: "now" }, refresh: "30s", timezone: "",
    graphTooltip: 1,
    templating: variables(vars),
    annotations: { list: [] },
    links: [{ type: "dashboards", tags: ["poolscaler"], asDropdown: true, title: "poolscaler" }],
    panels: layout(items),
  };
}

const POOL = `pool=~"$pool", ${NS}`;
const SOURCE = `source=~"$source", ${NS}`;

const fleet = dashboard(
  "poolscaler-fleet", "poolscaler / Fleet overview",
  "Every pool: what its signals ask for, what poolscaler decided, what runs, and why.",
  [queryVar("pool", "Pool", `label_values(poolscaler_pool_desired_replicas{${NS}}, pool)`)],
  [
    row("Decisions"),
    ts("Desired vs actual replicas", "short", [
      [`max by (pool) (poolscaler_pool_desired_replicas{${POOL}})`, "{{pool}} desired"],
      // From kube-state-metrics (the HPA KEDA made for the ScaledObject), when it runs.
      [`max by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas{horizontalpodautoscaler=~"keda-hpa-.*", ${NS}})`,
       "{{horizontalpodautoscaler}} actual"],
    ], { description: "Desired: poolscaler's decision. Actual: the current replicas of KEDA's HPA (kube-state-metrics)." }),
    ts("Signals ask for (raw) vs decided", "short", [
      [`max by (pool) (poolscaler_pool_raw_desired_replicas{${POOL}})`, "{{pool}} raw"],
      [`max by (pool) (poolscaler_pool_desired_replicas{${POOL}})`, "{{pool}} decided"],
    ], { description: "Raw: ceil(value / lagThreshold) of the winning signal, before activation, smoothing and min/max." }),
    ts("Lag per signal", "short", [
      [`max by (pool, signal) (poolscaler_pool_signal_value{${POOL}})`, "{{pool}} {{signal}}"],
    ]),
    ts("Active pools", "bool", [
      [`max by (pool) (poolscaler_pool_active{${POOL}})`, "{{pool}}"],
    ], { defaults: { max: 1 } }),
    row("Why"),
    panel("table", "Winning signal", "none", [
      [`max by (pool, signal) (poolscaler_pool_winning_signal{${POOL}}) == 1`, ""],
    ], { description: "The signal whose recommendation set each pool's raw target." }),
    panel("table", "Limits applied now", "none", [
      [`max by (pool, limit) (poolscaler_pool_limited{${POOL}}) == 1`, ""],
    ], { description: "Each rule that changed the last decision: activation-hold, inactive, tolerance, signal-missing, stabilization, rates, min, max, budget…" }),
    ts("Limits over time", "short", [
      [`sum by (limit) (poolscaler_pool_limited{${POOL}})`, "{{limit}}"],
    ], { w: 24 }),
    stat("Pools without a decision", "short", [
      [`count(poolscaler_pool_decision_available{${POOL}} == 0) or vector(0)`, ""],
    ], { w: 12, description: "Pools that answer KEDA with UNAVAILABLE because none of their signals is fresh." }),
    stat("Pools at maxReplicas", "short", [
      [`count(poolscaler_pool_limited{limit="max", ${POOL}} == 1) or vector(0)`, ""],
    ], { w: 12 }),
  ]);

const pool = dashboard(
  "poolscaler-pool", "poolscaler / Pool detail",
  "One pool and the sources behind it: freshness, errors and latency of every sample.",
  [
    queryVar("pool", "Pool", `label_values(poolscaler_pool_desired_replicas{${NS}}, pool)`),
    queryVar("source", "Source", `label_values(poolscaler_source_up{${NS}}, source)`),
  ],
  [
    row("Pool"),
    ts("Replicas", "short", [
      [`max by (pool) (poolscaler_pool_desired_replicas{${POOL}})`, "desired"],
      [`max by (pool) (poolscaler_pool_raw_desired_replicas{${POOL}})`, "raw"],
    ]),
    ts("Signal values", "short", [
      [`max by (signal) (poolscaler_pool_signal_value{${POOL}})`, "{{signal}}"],
    ]),
    ts("Decision available", "bool", [
      [`min by (pool) (poolscaler_pool_decision_available{${POOL}})`, "{{pool}}"],
    ], { defaults: { max: 1 } }),
    ts("Signals missing", "short", [
      [`max by (pool) (poolscaler_pool_signals_missing{${POOL}})`, "{{pool}}"],
    ], { description: "Signals without a fresh value. While some are known the pool may scale up, not down (limit signal-missing); with none known KEDA gets UNAVAILABLE." }),
    ts("Active", "bool", [
      [`max by (pool) (poolscaler_pool_active{${POOL}})`, "{{pool}}"],
    ], { defaults: { max: 1 } }),
    ts("Drain-time rates", "short", [
      [`max by (signal) (poolscaler_pool_signal_arrivals_per_second{${POOL}})`, "{{signal}} arrivals/s"],
      [`max by (signal) (poolscaler_pool_signal_completions_per_second{${POOL}})`, "{{signal}} completions/s"],
      [`max by (signal) (poolscaler_pool_signal_per_replica_rate{${POOL}})`, "{{signal}} per replica/s"],
    ], { w: 24, description: "Pools with targetDrainSeconds: replicas = ceil((arrivals/s + backlog / targetDrainSeconds) / per-replica rate)." }),
    row("Sources"),
    ts("Sample age", "s", [
      [`max by (source) (poolscaler_source_sample_age_seconds{${SOURCE}})`, "{{source}}"],
    ], { description: "Age of the last good reading; a source is stale after its staleAfter." }),
    ts("Source up", "bool", [
      [`min by (source) (poolscaler_source_up{${SOURCE}})`, "{{source}}"],
    ], { defaults: { max: 1 } }),
    ts("Sample errors", "reqps", [
      [`sum by (source, code) (rate(poolscaler_source_errors_total{${SOURCE}}[$__rate_interval]))`, "{{source}} {{code}}"],
      [`sum by (source) (rate(poolscaler_source_samples_total{${SOURCE}}[$__rate_interval]))`, "{{source}} samples"],
    ]),
    ts("Sample latency", "s", [
      [`histogram_quantile(0.5, sum by (source, le) (rate(poolscaler_source_sample_duration_seconds_bucket{${SOURCE}}[$__rate_interval])))`, "{{source}} p50"],
      [`histogram_quantile(0.99, sum by (source, le) (rate(poolscaler_source_sample_duration_seconds_bucket{${SOURCE}}[$__rate_interval])))`, "{{source}} p99"],
    ]),
    ts("Source values", "short", [
      [`max by (source, measure) (poolscaler_source_value{${SOURCE}})`, "{{source}} {{measure}}"],
    ], { w: 24 }),
  ]);

const GRPC = `${NS}`;
const health = dashboard(
  "poolscaler-health", "poolscaler / Scaler health",
  "The scaler itself: gRPC traffic from KEDA, errors, latency, config reloads.",
  [],
  [
    row("gRPC (KEDA)"),
    ts("Requests by method", "reqps", [
      [`sum by (method) (rate(poolscaler_grpc_requests_total{${GRPC}}[$__rate_interval]))`, "{{method}}"],
    ]),
    ts("Errors by method and code", "reqps", [
      [`sum by (method, code) (rate(poolscaler_grpc_requests_total{code!="OK", ${GRPC}}[$__rate_interval]))`, "{{method}} {{code}}"],
    ]),
    ts("Unary latency p99", "s", [
      [`histogram_quantile(0.99, sum by (method, le) (rate(poolscaler_grpc_request_duration_seconds_bucket{${GRPC}}[$__rate_interval])))`, "{{method}}"],
    ]),
    ts("Unary latency p50", "s", [
      [`histogram_quantile(0.5, sum by (method, le) (rate(poolscaler_grpc_request_duration_seconds_bucket{${GRPC}}[$__rate_interval])))`, "{{method}}"],
    ]),
    row("Config"),
    ts("Config reloads", "short", [
      [`sum by (result) (increase(poolscaler_config_reloads_total{${GRPC}}[$__rate_interval]))`, "{{result}}"],
    ]),
    stat("Last reload successful", "bool", [
      [`min(poolscaler_config_last_reload_successful{${GRPC}})`, ""],
    ], { w: 6 }),
    stat("Version", "none", [
      [`count by (version) (poolscaler_build_info{${GRPC}})`, "{{version}}"],
    ], { w: 6, options: { reduceOptions: { calcs: ["lastNotNull"], fields: "" }, textMode: "name" } }),
  ]);

const outputs = {
  "fleet-overview.json": fleet,
  "pool-detail.json": pool,
  "scaler-health.json": health,
};
const check = process.argv.includes("--check");
let stale = 0;
for (const [name, d] of Object.entries(outputs)) {
  const file = path.join(here, name);
  const text = JSON.stringify(d, null, 2) + "\n";
  if (check) {
    if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) {
      console.log(`FAIL dashboards/${name} differs from dashboards/generate.mjs: run node dashboards/generate.mjs`);
      stale++;
    }
  } else {
    fs.writeFileSync(file, text);
  }
}
if (check) console.log(`dashboards: ${Object.keys(outputs).length - stale} of ${Object.keys(outputs).length} up to date`);
process.exit(stale ? 1 : 0);
