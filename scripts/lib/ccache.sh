# Sourced by scripts/test and scripts/fuzz. When ccache is installed (scripts/packages/dev.txt),
# compiles go through it, so a second build of the same sources with the same flags (the next
# scripts/test on this machine, or a clean clone of the same commit in another directory) reuses
# the objects instead of compiling them again. Paths under the checkout are hashed relative to it
# (CCACHE_BASEDIR) and the build directory is not hashed (CCACHE_NOHASHDIR), which is what lets
# two clones share objects; a target with the checkout's absolute path in a -D flag still differs
# and is compiled again. POOLSCALER_CCACHE=0 turns it off.
#
# Needs $ROOT (the checkout). Sets ccache_cmake_args (empty when off) and defines ccache_zero
# and ccache_summary.
ccache_cmake_args=()
if [ "${POOLSCALER_CCACHE:-1}" != 0 ] && command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"
  export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-true}"
  # Four configurations (plain, ASan, TSan, fuzz) of the whole tree with debug info.
  export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-20G}"
  ccache_cmake_args=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

# One line on how many compiles the cache answered since the last ccache_zero.
ccache_zero() { [ ${#ccache_cmake_args[@]} -eq 0 ] || ccache --zero-stats >/dev/null; }
ccache_summary() {
  [ ${#ccache_cmake_args[@]} -eq 0 ] && return 0
  local hits misses
  read -r hits misses < <(ccache --print-stats | awk -F'\t' '
    $1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { h += $2 }
    $1 == "cache_miss" { m += $2 }
    END { print h + 0, m + 0 }')
  echo "ccache: $hits of $((hits + misses)) compiles from the cache"
}
