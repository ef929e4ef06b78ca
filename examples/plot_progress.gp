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
series(e, used) = sprintf("< sed -nE 's/^\\{\"experiment\": %d, \"used\": %s, \"individuals\": ([0-9]+).*\"best\": ([-0-9.eE+]+).*/\\1 \\2/p' '%s'", e, used, log)
set terminal png size 1000,560
set output out
set title sprintf("zerojit search progress (%s): best fitness per experiment", log)
set xlabel "individuals evaluated in the experiment"
set ylabel "best fitness in the population"
set yrange [0:1.02]
set grid
if (last > 11) set key off; else set key bottom right
plot for [e=0:last] series(e, "true") using 1:2 with lines lw 2 lc e+1 title sprintf("experiment %d", e), \
     for [e=0:last] series(e, "false") using 1:2 with lines dt 2 lc e+1 notitle
