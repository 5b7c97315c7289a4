/*
 * taskwatchctl test-event: build the event a watch would send for a task
 * type reaching a state, walk it through the config's rules exactly as
 * the daemon does (rules_route) and print which rules match and which
 * notifiers, with which severity and hook command, it would reach.  Like
 * `amtool config routes test`; nothing is sent.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ctl_test.h"
#include "evt.h"
#include "rules.h"
#include "task.h"
#include "xmalloc.h"

#define CTL_EX_USAGE 64
#define CTL_EX_CONFIG 78

/* Print usage and exit 64. */
static void __attribute__((noreturn)) ctl_test_usage(void)
{
	fprintf(stderr,
	    "usage: taskwatchctl test-event --watch name [--kind kind] "
	    "[--type type]\n"
	    "           [--cluster id] [--from state] [--to state] "
	    "[--json] [-f file]\n");
	exit(CTL_EX_USAGE);
}

/* A state name or exit 64 with the reason. */
static enum task_state
ctl_test_state(const char *opt, const char *name)
{
	int s = task_state_from_name(name);

	if (s < 0) {
		fprintf(stderr, "taskwatchctl: %s %s: not a task state\n", opt,
		    name);
		exit(CTL_EX_USAGE);
	}
	return (enum task_state)s;
}

/* rules_route callback: one line per notifier reached. */
static void
ctl_test_route_cb(const struct config_notifier *n,
    const struct config_rule *rule, enum config_severity sev, void *arg)
{
	size_t i, *count = arg;

	(*count)++;
	printf("  -> %s (%s), severity %s, by %s", n->name,
	    config_notifier_type_name(n->type), config_severity_name(sev),
	    rule != NULL ? rule->name : "no rules: every notifier");
	if (n->type == CONFIG_NOTIFIER_EXEC) {
		printf("; would run");
		for (i = 0; i < n->command.n; i++)
			printf(" '%s'", n->command.v[i]);
	}
	printf("\n");
}

/* Build the event the options describe; NULL after a message. */
static struct evt *
ctl_test_build(const struct config_watch *w, int kind, const char *type,
    const char *cluster, const char *from, const char *to)
{
	struct evt *ev = evt_new((enum evt_kind)kind);
	int task = kind != EVT_WATCH_FAILED && kind != EVT_WATCH_RECOVERED;

	ev->watch = xstrdup(w->name);
	ev->api = xstrdup(config_api_name(w->api));
	ev->account = xstrdup(w->account->name);
	ev->region = xstrdup(w->account->region);
	ev->occurred_at = ev->observed_at = (int64_t)time(NULL);
	if (kind == EVT_WATCH_FAILED) {
		ev->error_class = xstrdup("test");
		ev->error_msg = xstrdup("test-event");
	}
	if (task) {
		if (type == NULL) {
			fprintf(stderr,
			    "taskwatchctl: test-event %s needs --type\n",
			    evt_kind_name((enum evt_kind)kind));
			evt_free(ev);
			return NULL;
		}
		ev->has_task = 1;
		ev->task.id = xstrdup("test-event");
		ev->task.type = xstrdup(type);
		ev->task.cluster_id = xstrdup(cluster ? cluster : "");
		ev->task.state = to          ? ctl_test_state("--to", to)
		    : kind == EVT_TRANSITION ? TASK_FAILED
					     : TASK_RUNNING;
		ev->task.raw_status = xstrdup(task_state_name(ev->task.state));
		if (kind != EVT_APPEARED) {
			ev->has_previous = 1;
			ev->prev_state = from ? ctl_test_state("--from", from)
					      : TASK_RUNNING;
			ev->prev_raw = xstrdup(task_state_name(ev->prev_state));
		}
	}
	evt_finish(ev);
	return ev;
}

/* Run "test-event" (argv[0]); the exit status. */
int
ctl_test_event(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "watch", required_argument, NULL, 'W' },
		{ "kind", required_argument, NULL, 'K' },
		{ "type", required_argument, NULL, 'T' },
		{ "cluster", required_argument, NULL, 'C' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'O' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONFIG_DEFAULT_PATH, *watch = NULL, *type = NULL;
	const char *cluster = NULL, *from = NULL, *to = NULL;
	const struct config_watch *w;
	struct config *conf;
	struct evt *ev;
	char *errors = NULL, *text;
	size_t i, reached = 0;
	int ch, kind = EVT_TRANSITION, json = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'W':
			watch = optarg;
			break;
		case 'K':
			if ((kind = evt_kind_from_name(optarg)) < 0) {
				fprintf(stderr,
				    "taskwatchctl: --kind %s: not an event "
				    "kind\n",
				    optarg);
				return CTL_EX_USAGE;
			}
			break;
		case 'T':
			type = optarg;
			break;
		case 'C':
			cluster = optarg;
			break;
		case 'F':
			from = optarg;
			break;
		case 'O':
			to = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			ctl_test_usage();
		}
	}
	if (optind != argc || watch == NULL)
		ctl_test_usage();
	if ((conf = config_load(path, &errors)) == NULL) {
		fputs(errors ? errors : "invalid config\n", stderr);
		free(errors);
		return CTL_EX_CONFIG;
	}
	if ((w = config_find_watch(conf, watch)) == NULL) {
		fprintf(stderr, "taskwatchctl: no watch named %s in %s\n",
		    watch, path);
		config_free(conf);
		return 1;
	}
	if ((ev = ctl_test_build(w, kind, type, cluster, from, to)) == NULL) {
		config_free(conf);
		return CTL_EX_USAGE;
	}
	if (json) {
		text = evt_to_json(ev, NULL);
		printf("%s\n", text);
		free(text);
	}
	text = evt_summary(ev);
	printf("event: %s: %s (severity %s)\n", evt_kind_name(ev->kind), text,
	    config_severity_name(ev->severity));
	free(text);
	for (i = 0; i < conf->nrules; i++)
		printf("rule %s (line %d): %s\n", conf->rules[i].name,
		    conf->rules[i].line,
		    rules_match(&conf->rules[i], ev) ? "matches"
						     : "does not match");
	printf("notifiers:\n");
	rules_route(conf, ev, ctl_test_route_cb, &reached);
	if (reached == 0)
		printf("  none: no notifier would get this event\n");
	evt_free(ev);
	config_free(conf);
	return 0;
}
