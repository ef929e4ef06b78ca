#!/bin/sh
# run_tests.sh -- install what is missing, build, and run the whole test
# suite (the full tier: make check-full), one line per test program as it
# finishes, with its pass and fail counts (Criterion's synthesis, or a
# script test's last line).
#   ./run_tests.sh --sanitize   the quick tier (make check) under ASan +
#                               UBSan, in _build-san (--enable-sanitizers)
set -e
tier=check-full
if [ "${1-}" = --sanitize ]; then
  tier=check
  ZJ_BUILD_DIR=${ZJ_BUILD_DIR:-_build-san}
  ZJ_CONFIGURE_FLAGS="--enable-sanitizers ${ZJ_CONFIGURE_FLAGS-}"
  export ZJ_BUILD_DIR ZJ_CONFIGURE_FLAGS
  shift
fi
. "$(dirname "$0")/scripts_common.sh"
zj_install_packages
zj_build
zj_phase "running the test suite (make $tier)"
# counts LOG: "N passed, M failed" from a Criterion or script test log.
counts () {
  sed -nE 's/.*Tested: ([0-9]+) \| Passing: ([0-9]+) \| Failing: ([0-9]+) \| Crashing: ([0-9]+).*/\2 passed, \3 failed, \4 crashed/p;
           s/^([0-9]+ passed, [0-9]+ failed)$/\1/p' "$1" 2>/dev/null | tail -1
}
# The automake harness prints PASS:/FAIL: as each program ends: show
# those lines at once, with the counts from the program's log.
: > check.out
{ st=0; make -j"$(nproc)" $tier || st=$?; echo "make-check-status $st"; } >> check.out 2>&1 &
pid=$!
tail -f -n +1 --pid=$pid check.out 2>/dev/null | while IFS= read -r line; do
  case $line in
    PASS:*|FAIL:*|ERROR:*|SKIP:*|XPASS:*|XFAIL:*)
      t=${line#*: }
      echo "$line ($(counts "${t%.sh}.log"))" ;;
  esac
done
wait $pid || true
status=$(sed -n 's/^make-check-status //p' check.out | tail -1)
if [ "$status" != 0 ]; then
  tail -50 test-suite.log 2>/dev/null
  echo "test suite FAILED" >&2
  exit "$status"
fi
echo "all test programs passed"
