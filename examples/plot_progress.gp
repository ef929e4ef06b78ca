# plot_progress.gp -- turn a --progress_log JSON-lines file into a PNG:
# the best fitness of each experiment's population against the individuals
# it evaluated, one curve per experiment (dashed: experiments whose result
# was not used).  `zerojit plot LOG --out PNG` runs this very script (it is
# built into the command; `zerojit plot --script` prints it), or by hand:
#
#   gnuplot -e "log='progress.json'; out='progress.png'" examples/plot_progress.gp
#
# Needs gnuplot (apt-get install gnuplot-nox); each JSON line is flattened
# with sed.
if (!exists("log")) log = 'progress.json'
if (!exists("out")) out = 'progress.png'
last = int(system(sprintf("sed -nE 's/.*\"experiment\": ([0-9]+).*/\\1/p' '%s' | sort -n | tail -1", log)) + 0)
series(e) = sprintf("< sed -nE 's/^\\{\"experiment\": %d, \"used\": [a-z]+, \"individuals\": ([0-9]+).*\"best\": ([-0-9.eE+]+).*/\\1 \\2/p' '%s'", e, log)
used(e) = int(system(sprintf("grep -c '^.\"experiment\": %d, \"used\": true' '%s'", e, log)) + 0) > 0
set terminal png size 1000,560
set output out
set title sprintf("zerojit search progress (%s): best fitness per experiment", log) noenhanced
set xlabel "individuals evaluated in the experiment"
set ylabel "best fitness in the population"
set yrange [0:1.02]
set grid
if (last > 11) set key off; else set key bottom right
plot for [e=0:last] series(e) using 1:2 with lines lw 2 lc e+1 dt 2-used(e) \
     title sprintf("experiment %d%s", e, used(e) ? "" : " (not used)")
