#!/usr/bin/env bash
# The real API server (with KEDA's CRDs and the Prometheus Operator's) accepts what deploy/
# ships, and `poolscaler check-config --scaled-objects` agrees with it:
#   - deploy/base and deploy/adapter, built by kubectl's kustomize, and every Kubernetes
#     manifest under deploy/ (every example ScaledObject, ScaledJob, HPA, RBAC file) pass
#     `kubectl apply --server-side --dry-run=server` (their namespaces are created for real
#     first: a dry run cannot create the namespace it then applies into);
#   - for every file with ScaledObjects/ScaledJobs, check-config accepts it too, and for a set
#     of broken variants both refuse (or, where the API server cannot know, check-config alone
#     refuses and the case says so).
#   manifests_test.sh SOURCE_DIR POOLSCALER_BINARY      (needs POOLSCALER_KUBE_ENV)
set -uo pipefail
src=$1 bin=$2
env_file=${POOLSCALER_KUBE_ENV:?POOLSCALER_KUBE_ENV must name the cluster.env of scripts/kube up}
[ -f "$env_file" ] || { echo "FAIL: no cluster ($env_file missing)"; exit 1; }
KUBECONFIG=$(sed -n 's/^KUBECONFIG=//p' "$env_file")
KUBECTL=$(sed -n 's/^KUBECTL=//p' "$env_file")
export KUBECONFIG
cd "$src" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 accepted=0 agreed=0

namespaces_of() {  # manifests on stdin → the namespaces they name, and Namespace objects
  awk '/^---/{kind=""} /^kind:/{kind=$2} /^  namespace:/{print $2} kind=="Namespace" && /^  name:/{print $2}' | sort -u
}
ensure_namespaces() {  # file
  local ns
  for ns in $(namespaces_of <"$1"); do
    "$KUBECTL" get namespace "$ns" >/dev/null 2>&1 || "$KUBECTL" create namespace "$ns" >/dev/null
  done
}
dry_run() {  # file label
  ensure_namespaces "$1"
  local out
  if out=$("$KUBECTL" apply --server-side --dry-run=server -f "$1" 2>&1); then
    accepted=$((accepted + 1))
    echo "ok   api-server accepts $2 ($(grep -c 'serverside-applied' <<<"$out") objects)"
    return 0
  fi
  echo "$out"
  return 1
}

# 1. The kustomize folders.
for k in deploy/base deploy/adapter; do
  if "$KUBECTL" kustomize "$k" >"$tmp/kustomized.yaml" 2>"$tmp/err"; then
    dry_run "$tmp/kustomized.yaml" "$k (kustomize)" || { echo "FAIL $k"; fail=1; }
  else
    cat "$tmp/err"; echo "FAIL kubectl kustomize $k"; fail=1
  fi
done

# 2. Every Kubernetes manifest file under deploy/ (outside the kustomize folders, whose files
#    are patched by their kustomization), and agreement with check-config on KEDA objects.
while IFS= read -r f; do
  grep -q '^apiVersion:' "$f" || continue  # a poolscaler config
  case "$f" in deploy/base/*|deploy/adapter/*|deploy/compose/*) continue ;; esac
  api_ok=0
  dry_run "$f" "$f" && api_ok=1
  [ $api_ok -eq 1 ] || { echo "FAIL $f: the API server refuses it"; fail=1; }
  if grep -qE '^kind: Scaled(Object|Job)' "$f"; then
    cfg=$(sed -n 's/^# check-config: *//p' "$f" | head -n1)
    cfg_arg=()
    if [ -n "$cfg" ]; then
      if grep -q '\${[A-Z_]*}' "$cfg"; then  # a template (scripts/demo fills it in)
        sed -E 's/\$\{[A-Z_]+_ADDRESS\}/127.0.0.1:1/g; s/\$\{[A-Z_]+\}/placeholder/g' "$cfg" >"$tmp/cfg.yaml"
        cfg="$tmp/cfg.yaml"
      fi
      cfg_arg=("$cfg")
    fi
    if "$bin" check-config --offline "${cfg_arg[@]}" --scaled-objects "$f" >"$tmp/cc" 2>&1; then
      [ $api_ok -eq 1 ] && agreed=$((agreed + 1)) && echo "ok   check-config agrees on $f"
    else
      cat "$tmp/cc"; echo "FAIL $f: the API server accepts it, check-config refuses it"; fail=1
    fi
  fi
done < <(find deploy -name '*.yaml' | sort)

# 3. Broken variants of a raw-mode ScaledObject: what each side says.
base_so() {  # extra metadata line, extra spec lines
  cat <<EOF
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: variant, namespace: e2e-manifests}
spec:
  scaleTargetRef: {name: worker}
$2
  triggers:
    - type: external
      metadata:
        scalerAddress: 127.0.0.1:9090
        source: redis-streams
        address: 127.0.0.1:6379
        stream: jobs
$1
EOF
}
# name | metadata line | spec lines | expected: both-accept, both-refuse, poolscaler-refuses
cases=(
  "quoted threshold|        lagThreshold: \"50\"||both-accept"
  "unquoted number in metadata|        lagThreshold: 50||both-refuse"
  "unquoted boolean in metadata|        enableTLS: false||both-refuse"
  "null in metadata|        consumerGroup:||both-refuse"
  "nested map in metadata|        stream: {name: jobs}||both-refuse"
  "unknown key for the source|        lagTreshold: \"50\"||poolscaler-refuses"
  "threshold not a number|        lagThreshold: \"fifty\"||poolscaler-refuses"
)
"$KUBECTL" get namespace e2e-manifests >/dev/null 2>&1 || "$KUBECTL" create namespace e2e-manifests >/dev/null
for c in "${cases[@]}"; do
  IFS='|' read -r name meta spec expect <<<"$c"
  base_so "$meta" "$spec" | sed '/^$/d' >"$tmp/variant.yaml"
  api=refuse cc=refuse
  "$KUBECTL" apply --server-side --dry-run=server -f "$tmp/variant.yaml" >"$tmp/api" 2>&1 && api=accept
  "$bin" check-config --offline --scaled-objects "$tmp/variant.yaml" >"$tmp/cc" 2>&1 && cc=accept
  got="api-server ${api}s, check-config ${cc}s"
  case "$expect" in
    both-accept) want="api-server accepts, check-config accepts" ;;
    both-refuse) want="api-server refuses, check-config refuses" ;;
    poolscaler-refuses) want="api-server accepts, check-config refuses" ;;
  esac
  if [ "$got" = "$want" ]; then
    echo "ok   $name: $got"
    [ "$api" = "$cc" ] && agreed=$((agreed + 1))
  else
    echo "FAIL $name: $got (expected: $want)"
    sed 's/^/       api: /' "$tmp/api" | head -n 3
    sed 's/^/       check-config: /' "$tmp/cc" | head -n 3
    fail=1
  fi
done
"$KUBECTL" delete namespace e2e-manifests --wait=false >/dev/null 2>&1

echo "[figures] kube manifests: $accepted files accepted by the API server (server-side dry run), check-config agreed on $agreed"
exit $fail
