# cli_lib.sh -- helpers for the script tests (sourced).  Each check
# prints one line; the script exits 1 when any check failed.
: "${ZEROJIT:=./zerojit}"
: "${top_srcdir:=.}"
specs="$top_srcdir/examples/specs"
programs="$top_srcdir/examples/programs"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zj-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n_fail=0
n_pass=0

ok () { n_pass=$((n_pass + 1)); echo "ok: $1"; }
bad () { n_fail=$((n_fail + 1)); echo "FAIL: $1"; }

# expect RC PATTERN DESCRIPTION -- CMD...: runs CMD; checks the exit status
# and that stdout+stderr match the extended regex PATTERN.
expect () {
  want_rc=$1 pattern=$2 what=$3
  shift 4
  "$@" > "$tmp/out" 2>&1
  rc=$?
  if [ "$rc" -ne "$want_rc" ]; then
    bad "$what: exit $rc, expected $want_rc; output: $(head -c 400 "$tmp/out")"
  elif ! grep -Eq -- "$pattern" "$tmp/out"; then
    bad "$what: output does not match /$pattern/: $(head -c 400 "$tmp/out")"
  else
    ok "$what"
  fi
}

finish () {
  echo "$n_pass passed, $n_fail failed"
  [ "$n_fail" -eq 0 ]
}
