#!/usr/bin/env bash
# The Dockerfile installs the same package lists as scripts/setup, its runtime stage holds every
# shared library the poolscaler binary links, and its HEALTHCHECK command works against a live
# poolscaler. (No Docker daemon here: the image is checked by reading it and by running its
# parts on this Debian 12 machine.)
#   packages_test.sh SOURCE_DIR POOLSCALER_BINARY
set -uo pipefail
src=$1 bin=$2
fail=0
problem() { echo "FAIL: $*"; fail=1; }
list() { sed 's/#.*//' "$src/scripts/packages/$1" | tr -s ' \n' '\n' | sed '/^$/d'; }

dockerfile=$src/Dockerfile
build_stage=$(sed -n '/^FROM .* AS build/,/^FROM /p' "$dockerfile")
runtime_stage=$(sed -n '/^FROM .* AS runtime/,$p' "$dockerfile")
grep -q 'COPY scripts/packages/build.txt' <<<"$build_stage" || problem "build stage does not install scripts/packages/build.txt"
grep -q 'COPY scripts/packages/runtime.txt' <<<"$runtime_stage" || problem "runtime stage does not install scripts/packages/runtime.txt"
grep -q 'apt-get install' <<<"$runtime_stage" || problem "runtime stage installs nothing"
grep -q '^USER 65532' <<<"$runtime_stage" || problem "runtime stage does not run as the non-root user"
grep -q '^ENTRYPOINT \["poolscaler", *"serve"\]' <<<"$runtime_stage" || problem "ENTRYPOINT is not [\"poolscaler\",\"serve\"]"
grep -q '^HEALTHCHECK' <<<"$runtime_stage" || problem "no HEALTHCHECK"
# setup reads exactly these two lists (and the Dockerfile the first).
grep -q 'for list in build.txt test.txt' "$src/scripts/setup" || problem "scripts/setup does not read build.txt and test.txt"

# Every package named is a real, installed Debian package here (setup installed build+test).
for p in $(list build.txt) $(list test.txt) $(list runtime.txt); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || problem "package $p is not installed (misspelt, or missing from Debian 12?)"
done

# Libraries the binary links directly → owning packages → must be in runtime.txt (libc6 and
# libgcc-s1 are in every Debian image).
runtime=" $(list runtime.txt | tr '\n' ' ') libc6 libgcc-s1 "
# Only the libraries the binary names itself (DT_NEEDED): what they need in turn comes with them
# as Debian dependencies of their packages.
needed=" $(objdump -p "$bin" | awk '/NEEDED/ {print $2}' | tr '\n' ' ') "
libs=$(ldd "$bin" | awk -v needed="$needed" '/=>/ && index(needed, " " $1 " ") {print $3}')
[ -n "$libs" ] || problem "ldd found no libraries in $bin"
# One dpkg -S for all of them (it reads the whole database each call). Debian 12 is usr-merged:
# a library ldd finds under /lib may be registered under /usr/lib, or the other way round.
declare -A owner_of
while IFS= read -r line; do
  pkg=${line%%:*}; file=${line#*: }
  owner_of[$file]=$pkg; owner_of[${file#/usr}]=$pkg; owner_of[/usr${file#/usr}]=$pkg
done < <(for lib in $libs; do real=$(readlink -f "$lib"); echo "$real"; echo "/usr${real#/usr}"; echo "${real#/usr}"; done \
           | sort -u | xargs dpkg -S 2>/dev/null)
for lib in $libs; do
  real=$(readlink -f "$lib")
  pkg=${owner_of[$real]:-}
  pkg=${pkg%%,*}; pkg=${pkg%%:*}
  if [ -z "$pkg" ]; then problem "$lib: no Debian package owns it"; continue; fi
  case "$pkg" in libasan*|libubsan*|libtsan*|liblsan*) continue ;; esac  # sanitizer builds only
  case "$runtime" in *" $pkg "*) ;; *) problem "$lib comes from $pkg, which runtime.txt lacks" ;; esac
done

# The HEALTHCHECK command, run against a poolscaler on a free port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
gport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
check=$(grep -A2 '^HEALTHCHECK' "$dockerfile" | grep -o 'exec 3<>.*200 '"'"'')
check=${check//9091/$port}
check=${check//\\\\/\\}
[ -n "$check" ] || problem "cannot read the HEALTHCHECK command"
if bash -c "$check" 2>/dev/null; then problem "healthcheck passed with nothing listening"; fi
# Stopped when this script ends however it ends: the EXIT trap (also on TERM/INT, e.g. a ctest
# timeout), and the kernel's parent-death signal if the script itself is SIGKILLed.
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null' EXIT
trap 'exit 143' TERM INT HUP
setpriv --pdeathsig KILL -- "$bin" --log-level warn serve --grpc-plaintext \
  --grpc-listen "127.0.0.1:$gport" --http-listen "127.0.0.1:$port" &
pid=$!
ok=0
for _ in $(seq 50); do
  if bash -c "$check" 2>/dev/null; then ok=1; break; fi
  sleep 0.1
done
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
[ $ok -eq 1 ] || problem "HEALTHCHECK command failed against a live poolscaler on port $port"

[ $fail -eq 0 ] && echo "packages_test: ok ($(list runtime.txt | wc -l) runtime packages, $(wc -w <<<"$libs") libraries)"
exit $fail
