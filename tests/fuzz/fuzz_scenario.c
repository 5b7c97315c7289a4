/*
 * libFuzzer target: the simulator's scenario parser.  Any file must load or
 * be refused with a message, never crash or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Load one input as a scenario file. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[] = "/tmp/taskwatch-fuzz-scenario.XXXXXX";
	static int fd = -1;
	struct sim sim;
	char *cause = NULL;

	if (fd == -1 && (fd = mkstemp(path)) == -1)
		abort();
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	sim_init(&sim);
	if (scenario_load(&sim, path, &cause) == -1)
		free(cause);
	sim_free(&sim);
	return 0;
}
