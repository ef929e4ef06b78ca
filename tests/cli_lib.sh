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

# need_stencils WHY: the stencil tiers need the JIT and AVX2; without
# them the script has nothing to test, says WHY and ends.
need_stencils () {
  if ! "$ZEROJIT" --version | grep -q libgccjit || ! grep -qw avx2 /proc/cpuinfo; then
    echo "no JIT or no AVX2: $1"
    finish
    exit $?
  fi
}

# The NN regression bench's searches (bench/tiering, F = 16) on 3 tasks:
# nn_spec NAME writes $tmp/NAME.textpb; nn_run SPEC FLAGS... runs it.
nn_dir="$top_srcdir/bench/tiering"
nn_spec () {
  sed 's/num_tasks: 1/num_tasks: 3/; s/max_train_steps: 6000000/max_train_steps: 4000000/' \
    "$nn_dir/${1}_search.textpb" > "$tmp/$1.textpb"
}
nn_run () {
  s=$1
  shift
  "$ZEROJIT" search --search_experiment_spec_file="$tmp/$s.textpb" \
    --select_tasks_file="$nn_dir/nn_tasks.textpb" \
    --final_tasks_file="$nn_dir/nn_tasks.textpb" \
    --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2 \
    --workers=1 --max_experiments=1 --random_seed=5 --status=false "$@"
}
# strip_tier FILE: a search's output without timings and tier counters.
strip_tier () {
  sed -e 's/, jit=.*//' -e 's/,$//' -e 's/elapsed_secs=[0-9.]*//' "$1" \
    | grep -v -e '^Summary' -e '^Tier summary'
}
