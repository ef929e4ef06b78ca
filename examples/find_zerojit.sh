# find_zerojit.sh -- sourced by the example scripts: locate the zerojit
# binary (ZEROJIT, the build directory, or PATH).
here=$(cd "$(dirname "$0")" && pwd)
specs="$here/specs"
if [ -z "$ZEROJIT" ]; then
  for c in "$here/../_build/zerojit" "$here/../zerojit"; do
    [ -x "$c" ] && ZEROJIT=$c && break
  done
  [ -z "$ZEROJIT" ] && ZEROJIT=$(command -v zerojit)
fi
[ -n "$ZEROJIT" ] || { echo "zerojit not found: build it first (./run_demo.sh or make)" >&2; exit 1; }
