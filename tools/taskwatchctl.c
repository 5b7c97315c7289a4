/*
 * taskwatchctl: the operator's tool.  `check` is the same config check as
 * `taskwatchd -n`; `status`, `watches` and `tasks` read the daemon's status
 * endpoint (tools/ctl_status.c); sign comes with request signing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "ctl_sign.h"
#include "ctl_status.h"

#define CTL_EX_USAGE 64

/* Print usage and exit 64. */
static void __attribute__((noreturn)) ctl_usage(void)
{
	fprintf(stderr,
	    "usage: taskwatchctl check [-v] [-f file]\n"
	    "       taskwatchctl status | watches [--json] "
	    "[-s host:port] [-f file]\n"
	    "       taskwatchctl tasks [--watch name] [--state "
	    "state] [--json] [-s host:port] [-f file]\n"
	    "       taskwatchctl sign huawei|alibaba-v2|alibaba-v3 --method M "
	    "--url URL ...\n");
	exit(CTL_EX_USAGE);
}

/* check: the taskwatchd -n check (check.c); -v prints it normalised. */
static int
ctl_check(int argc, char *argv[])
{
	const char *path = CONFIG_DEFAULT_PATH;
	int ch, verbose = 0;

	optind = 1;
	while ((ch = getopt(argc, argv, "f:v")) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			ctl_usage();
		}
	}
	if (optind != argc)
		ctl_usage();
	return check_config(path, verbose);
}

/* Dispatch on the command word. */
int
main(int argc, char *argv[])
{
	if (argc < 2)
		ctl_usage();
	if (strcmp(argv[1], "check") == 0)
		return ctl_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0 || strcmp(argv[1], "watches") == 0 ||
	    strcmp(argv[1], "tasks") == 0)
		return ctl_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "sign") == 0)
		return ctl_sign(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0) {
		printf("taskwatchctl %s\n", TASKWATCH_VERSION);
		return 0;
	}
	fprintf(stderr, "taskwatchctl: unknown command \"%s\"\n", argv[1]);
	ctl_usage();
}
