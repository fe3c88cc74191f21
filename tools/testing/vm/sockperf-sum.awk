#!/usr/bin/awk -f
# SPDX-License-Identifier: GPL-2.0
#
# sockperf-sum.awk: the sum of several sockperf ping-pong or under-load
# clients, run at once. Input: each client's output (colour escapes
# removed), each followed by a line "__END__". Output, one line:
#
#   TOTAL TPS P50 P99 AVG DROPPED
#
# TOTAL: replies of the whole runs; TPS: the clients' replies per second
# of their valid durations (sockperf drops its 400 ms warm-up), summed;
# P50: the median of the clients' p50 round trips (us; the mean of the
# middle two for an even count); P99: the largest p99; AVG: the mean of
# their average round trips; DROPPED: dropped messages, summed.
# Exit status 1 if a client has no result.

/\[Total Run\]/ {
	for (i = 1; i <= NF; i++)
		if ($i ~ /^ReceivedMessages=/) { x = $i; sub(/.*=/, "", x); tot = x + 0 }
}
/\[Valid Duration\]/ {
	for (i = 1; i <= NF; i++) {
		if ($i ~ /^RunTime=/) { x = $i; sub(/.*=/, "", x); rt = x + 0 }
		if ($i ~ /^ReceivedMessages=/) { x = $i; sub(/.*=/, "", x); rv = x + 0 }
	}
}
/percentile 50\.000/ { p50 = $NF }
/percentile 99\.000/ { p99 = $NF }
/Summary:/ { avg = $(NF - 1) }
/dropped messages =/ {
	x = $0; sub(/.*dropped messages = /, "", x); sub(/;.*/, "", x); dr = x + 0
}
/^__END__$/ {
	if (tot == 0 || rt == 0) { bad = 1; exit 1 }
	n++; T += tot; R += rv / rt; P[n] = p50 + 0; A += avg; D += dr
	if (p99 + 0 > P99) P99 = p99 + 0
	# the next client starts from nothing, not from this one
	tot = rt = rv = dr = 0; p50 = p99 = avg = ""
}
END {
	if (bad || n == 0) exit 1
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (P[j] < P[i]) { t = P[i]; P[i] = P[j]; P[j] = t }
	med = (n % 2) ? P[(n + 1) / 2] : (P[n / 2] + P[n / 2 + 1]) / 2
	printf "%d %.6g %s %s %.6g %d\n", T, R, med, P99, A / n, D
}
