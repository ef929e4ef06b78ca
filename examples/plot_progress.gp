# plot_progress.gp -- turn a --progress_log JSON-lines file into a PNG.
#
#   gnuplot -e "log='progress.json'; out='progress.png'" examples/plot_progress.gp
#
# Left axis: best, hall-of-fame and mean fitness of the population against
# individuals evaluated; right axis: evaluations per second.  Needs gnuplot
# (apt-get install gnuplot-nox); each JSON line is flattened with sed.
if (!exists("log")) log = 'progress.json'
if (!exists("out")) out = 'progress.png'
field(name) = sprintf("< sed -nE 's/.*\"individuals\": ([0-9]+).*\"%s\": ([-0-9.eE+]+).*/\\1 \\2/p' '%s'", name, log)
set terminal png size 1000,560
set output out
set title "zerojit search progress (".log.")"
set xlabel "individuals"
set ylabel "fitness"
set y2label "evaluations / s"
set ytics nomirror
set y2tics
set yrange [0:1.02]
set key bottom right
set grid
plot field("best") using 1:2 with lines lw 2 title "best in population", \
     field("hall_of_fame") using 1:2 with lines dt 2 title "hall of fame", \
     field("mean") using 1:2 with lines title "mean", \
     field("evals_per_sec") using 1:2 axes x1y2 with lines lc rgb "gray" title "evaluations/s"
