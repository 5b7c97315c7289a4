#!/usr/bin/env bash
# Every libFuzzer target for a short time (FUZZ_TIME, default 10 s each)
# as part of make check; `make fuzz FUZZ_TIME=N` runs them longer.
# Skipped in the SANITIZE=1 pass (the fuzzers are sanitized builds already).
cd "$(dirname "$0")/../.." || exit 2
if [ "${SANITIZE:-}" = 1 ]; then
	echo "# fuzzers skipped in the SANITIZE=1 build (they ran in the plain one)"
	exit 0
fi
if ! make -s fuzz-build >/tmp/taskwatch-fuzz-build.$$ 2>&1; then
	echo "not ok - fuzz targets build"
	tail -n 20 /tmp/taskwatch-fuzz-build.$$
	rm -f /tmp/taskwatch-fuzz-build.$$
	exit 1
fi
rm -f /tmp/taskwatch-fuzz-build.$$
echo "ok - fuzz targets build"
FUZZ_TIME=${FUZZ_TIME:-10} tests/fuzz/run
