#!/bin/sh
# cli_help.sh -- help, version, man page and the flag forms, all from the
# commands' flag tables.
. "${top_srcdir:-.}/tests/cli_lib.sh"

expect 0 "^usage: zerojit COMMAND" "--help lists the commands" -- "$ZEROJIT" --help
expect 0 "search +run an evolution search" "--help names search" -- "$ZEROJIT" -h
expect 2 "^usage: zerojit COMMAND" "no command is a usage error" -- "$ZEROJIT"
expect 0 "^zerojit [0-9]+\.[0-9]+" "--version" -- "$ZEROJIT" --version
for c in ops eval print search data plot; do
  expect 0 "^usage: zerojit $c" "$c --help" -- "$ZEROJIT" $c --help
  expect 0 "^usage: zerojit $c" "$c -h" -- "$ZEROJIT" $c -h
done
expect 0 "^usage: zerojit search" "help search" -- "$ZEROJIT" help search
# Every flag of search, with its default where it has one.
"$ZEROJIT" search --help > "$tmp/h"
for f in search_experiment_spec_file select_tasks final_tasks max_experiments \
         random_seed workers memory progress_log jit hurdles status dedup; do
  if grep -q -- "--$f" "$tmp/h"; then ok "search --help has --$f"; else bad "search --help lacks --$f"; fi
done
expect 0 "--max_experiments=N +Experiments to run; 0 = until --sufficient_fitness is +reached. \(default: 1\)" \
  "defaults shown" -- sh -c "\"$ZEROJIT\" search --help | tr -s ' \n' ' '"
# The man page: generated, valid roff, every command and flag in it.
"$ZEROJIT" --man > "$tmp/zerojit.1"
if command -v man > /dev/null && MANWIDTH=80 man -l "$tmp/zerojit.1" > "$tmp/man.txt" 2> "$tmp/man.err"; then
  ok "man -l reads the page"
  grep -q "zerojit search" "$tmp/man.txt" && ok "man page has search" || bad "man page lacks search"
  grep -q -- "--hurdle_percentile" "$tmp/man.txt" && ok "man page has --hurdle_percentile" || bad "man page lacks --hurdle_percentile"
  grep -q "EXIT STATUS" "$tmp/man.txt" && ok "man page has EXIT STATUS" || bad "man page lacks EXIT STATUS"
else
  grep -q '^\.TH ZEROJIT 1' "$tmp/zerojit.1" && ok "man page header" || bad "no .TH in the man page"
fi
# Every environment variable the sources read is in the man page.
for v in $(grep -rhoE 'getenv \("ZEROJIT_[A-Z_]+' "$top_srcdir/src" "$top_srcdir/jit" | sed 's/.*"//' | sort -u); do
  grep -q "^\.B $v\$" "$tmp/zerojit.1" && ok "man page has $v" || bad "man page lacks $v"
done
# Flag forms accepted as absl does: -flag=v, --flag v, --flag=v, -flag v.
for form in "--program=$programs/neural_net.txt" "-program=$programs/neural_net.txt" \
            "--program $programs/neural_net.txt" "-program $programs/neural_net.txt"; do
  expect 0 "^def Setup" "print $form" -- "$ZEROJIT" print $form
done
expect 0 "^def Setup" "--nopruned" -- "$ZEROJIT" print --program "$programs/neural_net.txt" --nopruned
expect 0 "^def Setup" "--lossless=false" -- "$ZEROJIT" print --program "$programs/neural_net.txt" --lossless=false
expect 2 "unknown flag '--bogus' \(see 'zerojit print --help'\)" "unknown flag" -- "$ZEROJIT" print --bogus
expect 2 "flag '--program' needs a value" "missing value" -- "$ZEROJIT" print --program
expect 2 "--tasks and --tasks_file conflict" "conflicting flags" -- \
  "$ZEROJIT" eval --program x --tasks y --tasks_file z
expect 2 "--select_tasks and --select_tasks_file conflict" "conflicting search flags" -- \
  "$ZEROJIT" search --select_tasks=a --select_tasks_file=b
expect 2 "--memory and --max_scalar_addresses conflict" "--memory vs --max_*" -- \
  "$ZEROJIT" search --memory 4,3,1 --max_scalar_addresses=4
expect 2 "--workers=0: expected an integer in \[1, 64\]" "single-dash -workers checked" -- \
  "$ZEROJIT" search -workers=0
if "$ZEROJIT" --help | grep -q "(cmd_data.c)"; then bad "usage mentions a source file"; else ok "no source file in usage"; fi
finish
