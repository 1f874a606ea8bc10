module poolscaler.test/kube/crds

go 1.26.0

// Downloaded, never built: the Prometheus Operator's CRDs (example/prometheus-operator-crd in
// this module) for the ServiceMonitor and PrometheusRule of deploy/base, so that the real API
// server can accept the whole kustomize base. Nothing imports the module, so `go mod tidy`
// would drop this line: edit the version and go.sum by hand (go mod download -json
// MODULE@VERSION prints both sums).
require github.com/prometheus-operator/prometheus-operator v0.85.0
