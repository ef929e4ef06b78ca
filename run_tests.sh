#!/bin/sh
# run_tests.sh -- install what is missing, build, and run the whole test
# suite (the full tier: make check-full).  Criterion's summary lines are
# printed for every test program.
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
status=0
make -j"$(nproc)" $tier >/dev/null 2>&1 || status=$?
for log in tests/*.log; do
  [ -f "$log" ] || continue
  echo "== ${log%.log}"
  grep -E '^\[(====|FAIL|----)\]' "$log" || cat "$log"
done
if [ "$status" != 0 ]; then
  cat test-suite.log 2>/dev/null | tail -50
  echo "test suite FAILED" >&2
  exit "$status"
fi
echo "all test programs passed"
