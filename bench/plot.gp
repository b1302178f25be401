# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Plots of qiring-bench results, from the data bench/json2dat.py writes.
#
# gnuplot -e "dat='docs/results/dat-full'; out='docs/results'; mode='full'" bench/plot.gp
#
# For each device profile: MODE-throughput-PROFILE.png (submissions/s vs
# submitter threads, one line per variant, one panel per count) and
# MODE-latency-PROFILE.png (p50 solid, p99 dashed); MODE-ratio.png (lockfree
# over locked throughput solid, lockfree over smmuv3 dashed, one panel per
# profile, one colour per count).

if (!exists("dat")) dat = "docs/results/dat-quick"
if (!exists("out")) out = "docs/results"
if (!exists("mode")) mode = "quick"

set terminal pngcairo size 1200,900 font ",10"
set datafile missing "NaN"
set logscale x 2
set xrange [0.8:10]
set xtics ("1" 1, "2" 2, "4" 4, "8" 8)
unset xlabel
xnote = "x: submitter threads (2 cores: 4 and 8 oversubscribe)"
set grid
set key below font ",9"
set logscale y

array colour[5] = ["#1f77b4", "#ff7f0e", "#9467bd", "#2ca02c", "#7f7f7f"]
array ccolour[4] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
names = "locked tbf smmuv3 lockfree ckring"
counts = "0 1 4 16"
profiles = "null instant hw viommu"

do for [p in profiles] {
	nv = (p eq "null") ? 5 : 4

	set output sprintf("%s/%s-throughput-%s.png", out, mode, p)
	set multiplot layout 2,2 title sprintf("%s device: submissions/s (%s run); %s", p, mode, xnote)
	set ylabel "submissions/s"
	do for [c in counts] {
		set title sprintf("count %s (+1 wait descriptor)", c)
		plot for [i=1:nv] sprintf("%s/%s-%s-c%s.dat", dat, p, word(names, i), c) \
			using 1:2 with linespoints lw 2 pt 7 lc rgb colour[i] title word(names, i)
	}
	unset multiplot

	set output sprintf("%s/%s-latency-%s.png", out, mode, p)
	set multiplot layout 2,2 title \
		sprintf("%s device: latency per submission, p50 solid, p99 dashed (%s run); %s", \
			p, mode, xnote)
	set ylabel "ns"
	do for [c in counts] {
		set title sprintf("count %s", c)
		plot for [i=1:nv] sprintf("%s/%s-%s-c%s.dat", dat, p, word(names, i), c) \
			using 1:4 with linespoints lw 2 pt 7 lc rgb colour[i] title word(names, i)." p50", \
		     for [i=1:nv] sprintf("%s/%s-%s-c%s.dat", dat, p, word(names, i), c) \
			using 1:5 with linespoints lw 2 dt 2 pt 6 lc rgb colour[i] title word(names, i)." p99"
	}
	unset multiplot
}

set output sprintf("%s/%s-ratio.png", out, mode)
set multiplot layout 2,2 title sprintf("lockfree / locked (solid) and lockfree / smmuv3 " . \
	"(dashed) throughput (%s run); %s", mode, xnote)
set ylabel "ratio"
set yrange [0.1:*]
do for [p in profiles] {
	set title sprintf("%s device", p)
	plot for [i=1:4] sprintf("%s/ratio-%s.dat", dat, p) using 1:(column(i + 1)) \
		with linespoints lw 2 pt 7 lc rgb ccolour[i] title "count ".word(counts, i)." / locked", \
	     for [i=1:4] sprintf("%s/ratio-%s.dat", dat, p) using 1:(column(i + 5)) \
		with linespoints lw 2 dt 2 pt 6 lc rgb ccolour[i] title "count ".word(counts, i)." / smmuv3", \
	     1 with lines lc rgb "black" dt 3 notitle
}
unset multiplot
