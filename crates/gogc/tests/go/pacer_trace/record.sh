#!/bin/sh
# Records Go 1.19's pacer decisions for the trace in main.go, for GOGC
# 50/100/200 at GOMAXPROCS 1 and 2, and two forced cycles (forced.txt), into
# ../../data/pacer_trace/. The fixtures are committed; CI does not run Go.
# Run from this directory with Go 1.19 on PATH (or GO=/path/to/go):
#     sh record.sh
# Go's pacer measures wall-clock utilisation, so each run differs: cycle
# counts moved by up to a quarter between two runs on the same machine (the
# test fixtures_parse pins the committed run).
set -eu
GO=${GO:-go}
out=../../data/pacer_trace
mkdir -p "$out"
"$GO" version
"$GO" build -o pacer_trace.bin .
for procs in 1 2; do
	for gogc in 50 100 200; do
		GOGC=$gogc GOMAXPROCS=$procs GODEBUG=gctrace=1,gcpacertrace=1 \
			./pacer_trace.bin 2>"$out/gogc${gogc}_p${procs}.txt" >/dev/null
	done
done
GOGC=100 GOMAXPROCS=1 GODEBUG=gctrace=1 ./pacer_trace.bin forced 2>"$out/forced.txt"
rm pacer_trace.bin
