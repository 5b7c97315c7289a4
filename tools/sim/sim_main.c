/*
 * taskwatch-sim's main: flags, the port file, signals and the loop.  The
 * simulator itself (sim.c and the per-API files) has no main, so the
 * scenario parser can be linked into a fuzz target.
 */
#include <sys/stat.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

static void sim_usage(void) __attribute__((noreturn));
static void sim_help(void) __attribute__((noreturn));

/* Print usage and exit 64. */
static void
sim_usage(void)
{
	fprintf(stderr,
	    "usage: taskwatch-sim [-v] [--port N] "
	    "[--port-file FILE] [--scenario FILE]\n"
	    "                     [--exit-after DURATION] "
	    "[--bulk CLUSTERSxTASKS]\n"
	    "                     [--bulk-api API] [--change-rate N/s]\n"
	    "                     [--lifecycles SEED] "
	    "[--lifecycle-tasks N] [--lifecycle-clusters N]\n"
	    "                     [--fresh-action-ids]\n"
	    "       taskwatch-sim --version\n");
	exit(SIM_EX_USAGE);
}

/* --help: one line per option on stdout, exit 0. */
static void
sim_help(void)
{
	fputs("usage: taskwatch-sim [options]\n"
	      "  -v                        log every request\n"
	      "  --port N                  listen on 127.0.0.1:N (0: any)\n"
	      "  --port-file FILE          write the bound port to FILE\n"
	      "  --scenario FILE           play the scenario in FILE\n"
	      "  --exit-after DURATION     exit after DURATION\n"
	      "  --bulk CLUSTERSxTASKS     serve a large generated listing\n"
	      "  --bulk-api API            the API of --bulk (default dds)\n"
	      "  --change-rate N/s         change N bulk tasks per second\n"
	      "  --lifecycles SEED         random task lifecycles (chaos)\n"
	      "  --lifecycle-tasks N       tasks of --lifecycles (60)\n"
	      "  --lifecycle-clusters N    clusters of --lifecycles (3)\n"
	      "  --fresh-action-ids        a new DWS action id per answer\n"
	      "  --version                 print the version and exit\n"
	      "  --help                    print this help and exit\n",
	    stdout);
	exit(0);
}

/* Write the port to path through a temporary file and a rename. */
static int
sim_write_port_file(const char *path, int port)
{
	char *tmp = xasprintf("%s.XXXXXX", path), num[16];
	int fd, n, ok;

	if ((fd = mkstemp(tmp)) == -1) {
		log_warn("%s", tmp);
		free(tmp);
		return -1;
	}
	n = snprintf(num, sizeof(num), "%d\n", port);
	ok = write(fd, num, (size_t)n) == n && fchmod(fd, 0644) == 0;
	if (close(fd) == -1)
		ok = 0;
	if (!ok || rename(tmp, path) == -1) {
		log_warn("%s", path);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/* SIGTERM, SIGINT or the --exit-after timer: leave the loop. */
static void
sim_stop_cb(evutil_socket_t fd, short events, void *arg)
{
	struct sim *sim = arg;

	event_base_loopexit(sim->base, NULL);
}

/* Parse the flags, load the scenario, serve until told to stop. */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "scenario", required_argument, NULL, 's' },
		{ "exit-after", required_argument, NULL, 'x' },
		{ "bulk", required_argument, NULL, 'b' },
		{ "bulk-api", required_argument, NULL, 'a' },
		{ "change-rate", required_argument, NULL, 'r' },
		{ "lifecycles", required_argument, NULL, 'L' },
		{ "lifecycle-tasks", required_argument, NULL, 'T' },
		{ "lifecycle-clusters", required_argument, NULL, 'C' },
		{ "fresh-action-ids", no_argument, NULL, 'F' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *port_file = NULL, *scenario = NULL, *errstr;
	const char *bulk_api = NULL;
	unsigned bulk_clusters = 0, bulk_tasks = 0, change_rate = 0;
	long long life_seed = -1, life_tasks = 60, life_clusters = 3;
	struct event *ev_term, *ev_int, *ev_exit = NULL;
	uint64_t exit_ms = 0;
	struct timeval tv;
	struct sim sim;
	long long port = 0;
	int ch, verbose = 0, bound, status = 0, fresh_ids = 0;
	char *cause;

	log_init("taskwatch-sim", 1, 0);
	while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			verbose = 1;
			break;
		case 'p':
			if (util_strtonum(optarg, 0, 65535, &port, &errstr) ==
			    -1) {
				fprintf(stderr, "taskwatch-sim: port %s: %s\n",
				    optarg, errstr);
				exit(SIM_EX_USAGE);
			}
			break;
		case 'P':
			port_file = optarg;
			break;
		case 's':
			scenario = optarg;
			break;
		case 'x':
			if (util_parse_duration_ms(optarg, &exit_ms) == -1 ||
			    exit_ms == 0) {
				fprintf(stderr,
				    "taskwatch-sim: bad duration "
				    "for --exit-after: %s\n",
				    optarg);
				exit(SIM_EX_USAGE);
			}
			break;
		case 'b':
			if (sim_bulk_parse(
				optarg, &bulk_clusters, &bulk_tasks) == -1) {
				fprintf(stderr,
				    "taskwatch-sim: bad --bulk %s (use e.g. "
				    "1000x100)\n",
				    optarg);
				exit(SIM_EX_USAGE);
			}
			break;
		case 'a':
			bulk_api = optarg;
			break;
		case 'r':
			if (sim_bulk_parse_rate(optarg, &change_rate) == -1) {
				fprintf(stderr,
				    "taskwatch-sim: bad --change-rate %s (use "
				    "e.g. 50/s)\n",
				    optarg);
				exit(SIM_EX_USAGE);
			}
			break;
		case 'L':
			if (util_strtonum(optarg, 0, INT64_MAX, &life_seed,
				&errstr) == -1) {
				fprintf(stderr,
				    "taskwatch-sim: --lifecycles %s: %s\n",
				    optarg, errstr);
				exit(SIM_EX_USAGE);
			}
			break;
		case 'T':
		case 'C':
			if (util_strtonum(optarg, 1, 1000,
				ch == 'T' ? &life_tasks : &life_clusters,
				&errstr) == -1) {
				fprintf(stderr,
				    "taskwatch-sim: --lifecycle-%s "
				    "%s: %s\n",
				    ch == 'T' ? "tasks" : "clusters", optarg,
				    errstr);
				exit(SIM_EX_USAGE);
			}
			break;
		case 'F':
			fresh_ids = 1;
			break;
		case 'V':
			printf("taskwatch-sim %s\n", TASKWATCH_VERSION);
			exit(0);
		case 'h':
			sim_help();
		default:
			sim_usage();
		}
	}
	if (optind != argc)
		sim_usage();
	if (bulk_clusters == 0 && (change_rate > 0 || bulk_api != NULL)) {
		fprintf(stderr,
		    "taskwatch-sim: --bulk-api and --change-rate "
		    "need --bulk\n");
		exit(SIM_EX_USAGE);
	}
	log_setverbose(verbose);
	signal(SIGPIPE, SIG_IGN);

	sim_init(&sim);
	sim.dws_fresh_ids = fresh_ids;
	ev_term = evsignal_new(sim.base, SIGTERM, sim_stop_cb, &sim);
	ev_int = evsignal_new(sim.base, SIGINT, sim_stop_cb, &sim);
	if (ev_term == NULL || ev_int == NULL)
		fatalx("evsignal_new failed");
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	if (exit_ms > 0) {
		if ((ev_exit = evtimer_new(sim.base, sim_stop_cb, &sim)) ==
		    NULL)
			fatalx("evtimer_new failed");
		tv.tv_sec = (time_t)(exit_ms / 1000);
		tv.tv_usec = (suseconds_t)(exit_ms % 1000) * 1000;
		evtimer_add(ev_exit, &tv);
	}

	if (scenario != NULL && scenario_load(&sim, scenario, &cause) == -1) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		status = SIM_EX_CONFIG;
	} else if (bulk_clusters > 0 &&
	    sim_bulk_setup(&sim, bulk_api != NULL ? bulk_api : "dds",
		bulk_clusters, bulk_tasks, change_rate, &cause) == -1) {
		fprintf(stderr, "taskwatch-sim: %s\n", cause);
		free(cause);
		status = SIM_EX_USAGE;
	} else if (life_seed >= 0 &&
	    sim_life_setup(&sim, (uint64_t)life_seed, (unsigned)life_tasks,
		(unsigned)life_clusters, &cause) == -1) {
		fprintf(stderr, "taskwatch-sim: %s\n", cause);
		free(cause);
		status = SIM_EX_USAGE;
	} else if ((bound = sim_listen(&sim, (int)port)) == -1 ||
	    (port_file != NULL && sim_write_port_file(port_file, bound) == -1))
		status = 1;
	else {
		printf("taskwatch-sim listening on 127.0.0.1:%d\n", bound);
		fflush(stdout);
		scenario_start(&sim);
		sim_life_start(&sim);
		event_base_dispatch(sim.base);
		log_debug("exiting");
	}

	event_free(ev_term);
	event_free(ev_int);
	if (ev_exit != NULL)
		event_free(ev_exit);
	sim_free(&sim);
	libevent_global_shutdown();
	return status;
}
