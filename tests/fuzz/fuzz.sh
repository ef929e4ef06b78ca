#!/bin/sh
# fuzz.sh -- build the fuzz targets with clang's libFuzzer and run each.
#   fuzz.sh SRCDIR [TARGET...]           (called by `make fuzz`)
# Environment: FUZZ_CC (clang), FUZZ_SECONDS (per target, default 60),
# FUZZ_RUNS (stop after that many executions instead, if set), FUZZ_LIBS
# (SLEEF, zlib...).  Targets link the core sources without the JIT, built
# once into fuzz/obj with -fsanitize=fuzzer-no-link,address,undefined.
# Corpora grow in fuzz/corpus/<target> (seeded from tests/fuzz/<target>/
# seeds); crashes land in fuzz/artifacts/<target>/: minimise one with
# `fuzz/<target> -minimize_crash=1 FILE`, fix the bug, and add the input
# to tests/fuzz/<target>/regress/ so the normal suite replays it.
set -e
src=$(cd "$1" && pwd); shift
targets=${*:-spec program csv idx mnist_json proj_cache ckpt}
cc=${FUZZ_CC:-clang}
seconds=${FUZZ_SECONDS:-60}
san="-fsanitize=address,undefined -fno-sanitize-recover=all"

incs="-I$src/include"
for d in $(find "$src/src" -type d); do incs="$incs -I$d"; done
cflags="-std=gnu11 -O1 -g -ffp-contract=off -fno-math-errno $san -fno-omit-frame-pointer -w $incs"
mkdir -p fuzz/obj
# What reads outside input: core, spec and data layers (not the
# interpreter or the search, whose big specialised loops take minutes to
# build with the sanitizers; the few symbols they provide are in
# FUZZ_EXTRA_SOURCES).
srcs=$(find "$src/src/core" "$src/src/spec" "$src/src/data" -name '*.c' | sort)
for x in ${FUZZ_EXTRA_SOURCES:-src/interp/fitness.c src/search/generator.c src/search/random_instr.c src/search/mutator.c src/search/ckpt.c src/search/ckpt_bytes.c src/search/ckpt_file.c}; do
  srcs="$srcs $src/$x"
done
: > fuzz/config.h      # no HAVE_JIT: the core alone
objs=""
for s in $srcs; do
  o=fuzz/obj/$(echo "${s#$src/}" | tr / _ | sed 's/\.c$/.o/')
  if [ ! -f "$o" ] || [ -n "$(find "$src/src" "$src/include" -newer "$o" -name '*.[ch]' -o -newer "$o" -name '*.def' | head -1)" ]; then
    echo "  CC $o"
    nice $cc $cflags -Ifuzz -fsanitize=fuzzer-no-link -c "$s" -o "$o"
  fi
  objs="$objs $o"
done
status=0
for t in $targets; do
  echo "== fuzz_$t"
  nice $cc $cflags -Ifuzz -fsanitize=fuzzer "$src/tests/fuzz/fuzz_$t.c" $objs \
    ${FUZZ_LIBS:--lsleef -lz} -lm -pthread -o "fuzz/fuzz_$t"
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  limit="-max_total_time=$seconds"
  [ -n "${FUZZ_RUNS:-}" ] && limit="-runs=$FUZZ_RUNS"
  seeds="$src/tests/fuzz/$t/seeds"
  [ -d "$src/tests/fuzz/$t/regress" ] && seeds="$seeds $src/tests/fuzz/$t/regress"
  log=fuzz/fuzz_$t.log
  if nice "fuzz/fuzz_$t" $limit -print_final_stats=1 -rss_limit_mb=2048 \
       -artifact_prefix="fuzz/artifacts/$t/" "fuzz/corpus/$t" $seeds > "$log" 2>&1; then
    echo "   $(grep -E '^stat::number_of_executed_units' "$log" | sed 's/.*: *//') executions," \
         "$(ls "fuzz/corpus/$t" | wc -l) corpus files, no crash"
  else
    status=1
    echo "   FOUND A CRASH: see $log and fuzz/artifacts/$t/"
    grep -E '^(==|SUMMARY|.*runtime error)' "$log" | head -5
  fi
done
exit $status
