#!/usr/bin/env bash
# Every poolscaler config under deploy/ passes `check-config --offline`, and every manifest file
# holding a ScaledObject names its config in a "# check-config: FILE" line and passes
# `check-config --offline CONFIG --scaled-objects FILE` (trigger metadata as KEDA sends it).
#   check_examples.sh SOURCE_DIR POOLSCALER_BINARY
set -uo pipefail
cd "$1" || exit 1
bin=$2
fail=0 configs=0 objects=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
while IFS= read -r f; do
  if grep -qE "^kind: Scaled(Object|Job)" "$f"; then
    cfg=$(sed -n 's/^# check-config: *//p' "$f" | head -n1)
    if [ -z "$cfg" ]; then
      echo "FAIL $f: holds ScaledObjects but names no config (# check-config: FILE)"; fail=1; continue
    fi
    if grep -q '\${[A-Z_]*}' "$cfg"; then  # a template: checked with placeholder addresses
      sed -E 's/\$\{[A-Z_]+_ADDRESS\}/127.0.0.1:1/g; s/\$\{[A-Z_]+\}/placeholder/g' "$cfg" > "$tmp/$(basename "$cfg")"
      cfg=$tmp/$(basename "$cfg")
    fi
    out=$("$bin" check-config --offline "$cfg" --scaled-objects "$f" 2>&1) || { echo "$out"; echo "FAIL $f"; fail=1; continue; }
    if grep -q ': warning: ' <<<"$out"; then echo "$out" | grep ': warning: '; echo "FAIL $f: warnings"; fail=1; fi
    objects=$((objects + 1))
  elif grep -qE '^(sources|pools):' "$f" && ! grep -q '^apiVersion:' "$f"; then
    # Templates (scripts/demo fills ${..._ADDRESS} in) are checked with a placeholder address.
    checked=$f
    if grep -q '\${[A-Z_]*}' "$f"; then
      checked=$tmp/$(basename "$f")
      sed -E 's/\$\{[A-Z_]+_ADDRESS\}/127.0.0.1:1/g; s/\$\{[A-Z_]+\}/placeholder/g' "$f" > "$checked"
    fi
    out=$("$bin" check-config --offline "$checked" 2>&1) || { echo "$out"; echo "FAIL $f"; fail=1; continue; }
    configs=$((configs + 1))
  fi
done < <(find deploy -name '*.yaml' | sort)
echo "check_examples: $configs configs, $objects ScaledObject files checked$([ $fail -eq 0 ] && echo ', ok')"
exit $fail
