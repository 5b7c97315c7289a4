/*
 * taskwatchctl: the operator's tool.  `check` is the same config check as
 * `taskwatchd -n`; `status`, `watches`, `tasks` and `dead list` read the
 * daemon's status endpoint (tools/ctl_status.c); poll asks the daemon
 * through its control socket (tools/ctl_control.c); test-event walks the
 * rules (tools/ctl_test.c); sign comes with request signing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "ctl_control.h"
#include "ctl_sign.h"
#include "ctl_hooks.h"
#include "ctl_silence.h"
#include "ctl_status.h"
#include "ctl_test.h"

#define CTL_EX_USAGE 64

/* A command: its word, its runner (argv[0] is the word) and its synopsis. */
struct ctl_cmd {
	const char *name;
	int (*run)(int argc, char *argv[]);
	const char *synopsis;
	const char *help;
};

static int ctl_check(int, char *[]);
static int ctl_dead(int, char *[]);

/* The commands, in the order usage lists them. */
static const struct ctl_cmd ctl_cmds[] = {
	{ "check", ctl_check, "check [-v] [-f file]",
	    "check the config and its secrets (as taskwatchd -n)" },
	{ "status", ctl_status, "status [--json] [-s host:port] [-f file]",
	    "the daemon's health, watches, tasks and notifications" },
	{ "watches", ctl_status, "watches [--json] [-s host:port] [-f file]",
	    "one line per watch: state, failures, last success, next poll" },
	{ "tasks", ctl_status,
	    "tasks [--watch name] [--state state] [--json] [-s host:port] "
	    "[-f file]",
	    "one line per task the daemon knows, with its expected end" },
	{ "durations", ctl_status,
	    "durations [--api api] [--watch name] [--json] [-s host:port] "
	    "[-f file]",
	    "the task durations learned: count, p50, p95, max" },
	{ "poll", ctl_poll, "poll watch [-c socket] [-f file]",
	    "poll a watch now, lifting its account's pause (control socket)" },
	{ "dead", ctl_dead,
	    "dead list [--notifier name] [--json] [-s host:port] [-f file]\n"
	    "       taskwatchctl dead retry id|--all [--notifier name] [-c "
	    "socket] [-f file]",
	    "list dead letters (why, the receiver's answer); retry them" },
	{ "ack", ctl_ack,
	    "ack task [--watch name] [--comment text] [--remove] [-c socket] "
	    "[-f file]",
	    "acknowledge a task: no more repeats until its state changes" },
	{ "silence", ctl_silence, CTL_SILENCE_SYNOPSIS + 13,
	    "hold matching events back from the notifiers for a while" },
	{ "hooks", ctl_hooks, CTL_HOOKS_SYNOPSIS + 13,
	    "exec hooks' run budgets and circuit breakers; close a breaker" },
	{ "test-event", ctl_test_event,
	    "test-event --watch name [--kind kind] [--type type] [--cluster "
	    "id]\n"
	    "                          [--from state] [--to state] [--json] "
	    "[-f file]",
	    "which rules and notifiers an event would reach (sends nothing)" },
	{ "sign", ctl_sign,
	    "sign huawei|alibaba-v2|alibaba-v3 --method M --url URL ...",
	    "show how a request is signed, step by step" },
};

/* Print usage to fp. */
static void
ctl_print_usage(FILE *fp)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		fprintf(fp, "%s taskwatchctl %s\n",
		    i == 0 ? "usage:" : "      ", ctl_cmds[i].synopsis);
	fprintf(fp, "       taskwatchctl --version | --help\n");
}

/* Print usage and exit 64. */
static void __attribute__((noreturn)) ctl_usage(void)
{
	ctl_print_usage(stderr);
	exit(CTL_EX_USAGE);
}

/* --help: usage, then one line per command; exit 0. */
static void __attribute__((noreturn)) ctl_help(void)
{
	size_t i;

	ctl_print_usage(stdout);
	printf("\n");
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		printf("  %-9s %s\n", ctl_cmds[i].name, ctl_cmds[i].help);
	printf("\nSee taskwatchctl(8).\n");
	exit(0);
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

/* dead list (status endpoint) | dead retry (control socket). */
static int
ctl_dead(int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "retry") == 0)
		return ctl_dead_retry(argc - 1, argv + 1);
	return ctl_status(argc, argv);
}

/* Dispatch on the command word. */
int
main(int argc, char *argv[])
{
	size_t i;

	if (argc < 2)
		ctl_usage();
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (strcmp(argv[1], ctl_cmds[i].name) == 0)
			return ctl_cmds[i].run(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0) {
		printf("taskwatchctl %s\n", TASKWATCH_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		ctl_help();
	fprintf(stderr, "taskwatchctl: unknown command \"%s\"\n", argv[1]);
	ctl_usage();
}
