// Every PromQL expression poolscaler ships — each dashboard query and each alert rule — run
// against a real Prometheus scraping a real poolscaler fed by a real redis-server, after a staged
// scenario that makes every alert's condition true: a dead source (alone behind one pool, beside a
// live one behind another), a pool held at maxReplicas, a
// pool cut by its tier group's GPU budget, a pool flapping between idle and active, a broken
// config reload, and last poolscaler itself stopped (for PoolscalerDown, checked after every other
// expression, since stopping it ends the others' series). A query that errors or returns
// no series fails the test. Also: `promtool check metrics` on poolscaler's /metrics.
//
//   node tests/deploy/prometheus_queries.mjs REPO_ROOT POOLSCALER_BINARY
//
// Everything listens on free loopback ports, keeps its data in a temp dir and is stopped by PID.
// Queries on metrics of other exporters (kube_*, from kube-state-metrics) cannot have series
// here; they are listed and skipped, and nothing else may be.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";

const root = path.resolve(process.argv[2] ?? ".");
const binary = path.resolve(process.argv[3] ?? "build/src/cli/poolscaler");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "poolscaler-promql-"));
const children = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log("[promql]", ...a);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function start(name, cmd, args) {
  const out = fs.openSync(path.join(tmp, `${name}.log`), "w");
  // setpriv --pdeathsig: the kernel kills the child if this process dies without cleaning up
  // (SIGKILL from a ctest timeout); stopAll covers every other way out.
  const child = spawn("setpriv", ["--pdeathsig", "KILL", "--", cmd, ...args],
                      { stdio: ["ignore", out, out] });
  children.push({ name, child });
  return child;
}

function stopAll() {
  for (const { child } of children.reverse()) {
    if (child.exitCode === null) child.kill("SIGTERM");
  }
}

async function eventually(what, fn, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

function redis(port, ...args) {
  const r = spawnSync("redis-cli", ["-p", String(port), ...args], { encoding: "utf8" });
  if (r.status !== 0 || /^ERR/m.test(r.stdout)) {
    throw new Error(`redis-cli ${args.join(" ")}: ${r.stdout}${r.stderr}`);
  }
  return r.stdout.trim();
}

async function promQuery(promPort, expr) {
  const url = `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const res = await fetch(url);
  const body = await res.json();
  if (body.status !== "success") return { error: `${body.errorType}: ${body.error}` };
  const r = body.data.result;
  return { series: Array.isArray(r) ? r.length : 1 };
}

// The expressions to check, with where each comes from.
function shippedExpressions() {
  const out = [];
  for (const f of fs.readdirSync(path.join(root, "dashboards")).filter((f) => f.endsWith(".json"))) {
    const d = JSON.parse(fs.readFileSync(path.join(root, "dashboards", f), "utf8"));
    const walk = (panels) => {
      for (const p of panels ?? []) {
        walk(p.panels);
        for (const t of p.targets ?? []) out.push({ where: `${f} "${p.title}" ${t.refId}`, expr: t.expr });
      }
    };
    walk(d.panels);
    for (const v of d.templating?.list ?? []) {
      const q = typeof v.query === "string" ? v.query : v.query?.query;
      const m = v.type === "query" && /^label_values\((.*), *[a-z_]+\)$/.exec(q ?? "");
      // label_values(SELECTOR, label) is Grafana's; Prometheus is asked for SELECTOR itself.
      if (m) out.push({ where: `${f} variable ${v.name}`, expr: m[1], variable: true });
    }
  }
  const rules = YAML.parse(fs.readFileSync(path.join(root, "deploy/alerts/poolscaler-rules.yaml"), "utf8"));
  for (const g of rules.groups) {
    for (const r of g.rules) out.push({ where: `alert ${r.alert ?? r.record}`, expr: r.expr });
  }
  return out;
}

// Grafana's variables as a query on this stack would see them: every value.
function substitute(expr) {
  return expr
    .replaceAll("$__rate_interval", "20s")
    .replaceAll("$__interval", "1s")
    .replace(/\$\{?([a-z_]+)\}?/g, ".*");
}

async function main() {
  const [redisPort, grpcPort, httpPort, promPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  // Redis with two streams: `busy` (far more work than its pool may take) and `toggle` (work that
  // comes and goes, so its pool flaps between idle and active).
  fs.mkdirSync(path.join(tmp, "redis"));
  start("redis", "redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--dir",
    path.join(tmp, "redis"), "--save", "", "--appendonly", "no"]);
  await eventually("redis", () => redis(redisPort, "PING") === "PONG");
  redis(redisPort, "XGROUP", "CREATE", "busy", "workers", "$", "MKSTREAM");
  redis(redisPort, "XGROUP", "CREATE", "toggle", "workers", "$", "MKSTREAM");
  for (let i = 0; i < 10; i++) redis(redisPort, "XADD", "busy", "*", "job", String(i));

  const configPath = path.join(tmp, "poolscaler.yaml");
  const config = `
defaults:
  sampleInterval: 250ms
  staleAfter: 1s
  timeout: 200ms
sources:
  - {name: busy, type: redis-streams, address: 127.0.0.1:${redisPort}, stream: busy, consumerGroup: workers}
  - {name: toggle, type: redis-streams, address: 127.0.0.1:${redisPort}, stream: toggle, consumerGroup: workers}
  - {name: dead, type: redis-streams, address: 127.0.0.1:1, stream: gone, consumerGroup: workers}
pools:
  - {name: capped, minReplicas: 0, maxReplicas: 2, signals: [{source: busy, lagThreshold: 1}]}
  - {name: budgeted, minReplicas: 0, maxReplicas: 10, tierGroup: gpus, cost: {gpu: 1}, signals: [{source: busy, lagThreshold: 1}]}
  - {name: flappy, minReplicas: 0, maxReplicas: 3, cooldownSeconds: 0, signals: [{source: toggle, lagThreshold: 1}]}
  - {name: blind, minReplicas: 0, maxReplicas: 3, signals: [{source: dead, lagThreshold: 1}]}
  - {name: half-blind, minReplicas: 0, maxReplicas: 3, signals: [{source: busy, lagThreshold: 1}, {source: dead, lagThreshold: 1}]}
  - {name: draining, maxReplicas: 10, targetDrainSeconds: 60, perReplicaRate: 1, signals: [{source: busy, lagThreshold: 1}]}
tierGroups:
  - {name: gpus, budget: {gpu: 2}}
`;
  fs.writeFileSync(configPath, config);
  const scaler = start("poolscaler", binary, ["--log-level", "warn", "serve", "--grpc-plaintext", "--config", configPath,
    "--grpc-listen", `127.0.0.1:${grpcPort}`, "--http-listen", `127.0.0.1:${httpPort}`,
    "--config-check-interval", "250ms"]);
  const metricsUrl = `http://127.0.0.1:${httpPort}/metrics`;
  await eventually("poolscaler /metrics", async () => (await fetch(metricsUrl)).ok);

  fs.writeFileSync(path.join(tmp, "prometheus.yml"), `
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [${JSON.stringify(path.join(root, "deploy/alerts/poolscaler-rules.yaml"))}]
scrape_configs:
  - job_name: poolscaler
    static_configs: [{targets: ["127.0.0.1:${httpPort}"]}]
`);
  start("prometheus", "prometheus", [`--config.file=${path.join(tmp, "prometheus.yml")}`,
    `--storage.tsdb.path=${path.join(tmp, "tsdb")}`, `--web.listen-address=127.0.0.1:${promPort}`]);
  await eventually("the first scrape", async () =>
    (await promQuery(promPort, 'up{job="poolscaler"} == 1')).series === 1, 30000);

  // gRPC traffic as KEDA makes it, one call failing (unknown pool → NOT_FOUND).
  const probe = (meta) => spawnSync(binary, ["probe", "--address", `127.0.0.1:${grpcPort}`, ...meta], { encoding: "utf8" });
  for (let i = 0; i < 3; i++) probe(["pool=capped"]);
  probe(["pool=no-such-pool"]);

  // Flapping: work arrives and is done, three times (six active↔idle changes).
  for (let i = 0; i < 3; i++) {
    redis(redisPort, "XADD", "toggle", "*", "job", String(i));
    await eventually("flappy active", async () => (await promQuery(promPort, 'poolscaler_pool_active{pool="flappy"} == 1')).series === 1);
    const read = redis(redisPort, "XREADGROUP", "GROUP", "workers", "w1", "COUNT", "10", "STREAMS", "toggle", ">");
    const id = read.split("\n").find((l) => /^\d+-\d+$/.test(l.trim()));
    redis(redisPort, "XACK", "toggle", "workers", id.trim());
    await eventually("flappy idle", async () => (await promQuery(promPort, 'poolscaler_pool_active{pool="flappy"} == 0')).series === 1);
  }

  // A broken config: poolscaler keeps the last good one and says so.
  fs.writeFileSync(configPath, config + "\npools: [this is not: valid\n");
  await eventually("the failed reload", async () =>
    (await promQuery(promPort, "poolscaler_config_last_reload_successful == 0")).series === 1);
  await sleep(3000);  // a few more scrapes, so rate() windows hold several samples

  // promtool check metrics on our exposition.
  const text = await (await fetch(metricsUrl)).text();
  const lint = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  const problems = [];
  if (lint.status !== 0) problems.push(`promtool check metrics: ${lint.stdout}${lint.stderr}`);

  let checked = 0, skipped = 0;
  const afterStop = [];
  for (const { where, expr } of shippedExpressions()) {
    if (where === "alert PoolscalerDown") { afterStop.push({ where, expr }); continue; }
    const q = substitute(expr);
    const r = await promQuery(promPort, q);
    if (r.error) {
      problems.push(`${where}: ${r.error}\n    ${q}`);
    } else if (r.series === 0) {
      if (/\bkube_[a-z_]+/.test(q)) { skipped++; log(`skipped (kube-state-metrics): ${where}`); continue; }
      problems.push(`${where}: no series\n    ${q}`);
    } else {
      checked++;
    }
  }
  // poolscaler stops: its target goes down and PoolscalerDown's condition holds.
  if (afterStop.length !== 1) problems.push("alert PoolscalerDown: not found in the rules");
  scaler.kill("SIGTERM");
  await eventually("the poolscaler target down", async () =>
    (await promQuery(promPort, 'up{job="poolscaler"} == 0')).series === 1, 30000);
  for (const { where, expr } of afterStop) {
    const r = await promQuery(promPort, expr);
    if (r.error) problems.push(`${where}: ${r.error}\n    ${expr}`);
    else if (r.series === 0) problems.push(`${where}: no series with poolscaler stopped\n    ${expr}`);
    else checked++;
  }
  for (const p of problems) console.log(`FAIL ${p}`);
  console.log(`prometheus_queries: ${checked} expressions returned series, ${skipped} skipped ` +
              `(kube-state-metrics), ${problems.length} problem(s)`);
  return problems.length === 0;
}

// A signal (ctest's timeout sends SIGTERM first) stops the children before the process goes.
for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) {
  process.on(sig, () => {
    stopAll();
    fs.rmSync(tmp, { recursive: true, force: true });
    process.exit(1);
  });
}

let ok = false;
try {
  ok = await main();
} catch (e) {
  console.log(`FAIL ${e.message}`);
  for (const f of fs.readdirSync(tmp).filter((f) => f.endsWith(".log"))) {
    console.log(`--- ${f} (last lines)`);
    console.log(fs.readFileSync(path.join(tmp, f), "utf8").split("\n").slice(-15).join("\n"));
  }
} finally {
  stopAll();
  await sleep(500);
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
