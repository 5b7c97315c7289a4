#!/usr/bin/env bash
# The DDS integration run again with the daemon under valgrind: any memory
# error or definite leak makes valgrind exit 99, which the SIGTERM check
# in dds.sh reports as a failure.  Skipped in the sanitizer build, where
# ASan does this job (valgrind cannot run ASan binaries).
if [ "${SANITIZE:-}" = 1 ]; then
	echo "# valgrind run skipped in the SANITIZE=1 build"
	exit 0
fi
TW_VALGRIND=1 exec bash "$(dirname "$0")/dds.sh"
