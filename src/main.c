/*
 * taskwatchd: flags, config load, the event loop, signals.  Everything runs
 * on one libevent base; signals arrive as loop events, so no work happens in
 * a signal handler.  A reload builds a new config and swaps it in, keeping
 * the task table and every queued notification.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "evt.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "monotime.h"
#include "notify.h"
#include "sched.h"
#include "taskstate.h"
#include "watch.h"
#include "xmalloc.h"

#define EX_USAGE_ 64
#define EX_CONFIG_ 78
#define MAIN_DRAIN_POLL_MS 100

struct daemon {
	const char *path;
	struct config *conf;
	struct event_base *base;
	struct http *http;
	struct sched *sched;
	struct taskstate *ts;
	struct notify *notify;
	struct watch **watches;
	size_t nwatches;
	struct watch_env env;
	struct event *sigev[5];
	struct event *drain;
	uint64_t drain_deadline_ms;
	int once;
	size_t once_left;
	int once_failed;
	int stopping;
};

/* Print usage and exit 64. */
static void __attribute__((noreturn)) main_usage(void)
{
	fprintf(stderr, "usage: taskwatchd [-dnv] [-f file] [--once]\n");
	exit(EX_USAGE_);
}

/* Print each line of a multi-line error text to the log. */
static void
main_log_errors(const char *prefix, const char *errors)
{
	const char *p = errors, *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		log_warnx(
		    "%s%.*s", prefix, (int)(nl ? nl - p : (long)strlen(p)), p);
		p = nl ? nl + 1 : NULL;
	}
}

/* An event from a watch: log it and hand it to the notifiers. */
static void
main_emit_cb(struct evt *ev, void *arg)
{
	struct daemon *d = arg;
	char *summary = evt_summary(ev);

	log_debug("event %s %s id=%s: %s", evt_kind_name(ev->kind),
	    config_severity_name(ev->severity), ev->id, summary);
	free(summary);
	notify_event(d->notify, ev);
	evt_free(ev);
}

/* --once: print a watch's tasks as JSON lines; stop when all are done. */
static void
main_once_cb(struct watch *w, int ok, void *arg)
{
	struct daemon *d = arg;
	const struct config_watch *wc = watch_config(w);
	const struct task_list *tl = watch_tasks(w);
	struct json_writer *jw;
	size_t i;

	for (i = 0; ok && i < tl->n; i++) {
		jw = json_writer_new();
		json_w_obj_open(jw);
		json_w_kstr(jw, "watch", wc->name);
		json_w_kstr(jw, "api", config_api_name(wc->api));
		json_w_kstr(jw, "account", wc->account->name);
		json_w_kstr(jw, "region", wc->account->region);
		json_w_key(jw, "task");
		evt_write_task(jw, &tl->v[i]);
		json_w_obj_close(jw);
		printf("%s\n", json_writer_str(jw, NULL));
		json_writer_free(jw);
	}
	fflush(stdout);
	if (!ok) {
		d->once_failed = 1;
		fprintf(stderr, "taskwatchd: watch %s: %s\n", wc->name,
		    watch_get_stats(w)->last_error);
	}
	if (--d->once_left == 0)
		event_base_loopexit(d->base, NULL);
}

/* A small spread of first-poll delays so watches do not start at once. */
static uint64_t
main_first_delay(size_t i)
{
	return (uint64_t)(i % 50) * 20;
}

/* Create a watch for every watch of the config. */
static void
main_start_watches(struct daemon *d)
{
	size_t i;

	d->nwatches = d->conf->nwatches;
	d->watches =
	    xcalloc(d->nwatches ? d->nwatches : 1, sizeof(*d->watches));
	for (i = 0; i < d->nwatches; i++)
		d->watches[i] = watch_new(
		    &d->conf->watches[i], &d->env, main_first_delay(i));
}

/* Find a running watch by name; NULL if none. */
static struct watch *
main_find_watch(struct daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nwatches; i++)
		if (d->watches[i] != NULL &&
		    strcmp(watch_config(d->watches[i])->name, name) == 0)
			return d->watches[i];
	return NULL;
}

/*
 * Reload: parse the file again; on error keep running with the old config.
 * Unchanged watches keep their object (and so their schedule and task
 * state); changed or removed ones are replaced or dropped.
 */
static void
main_reload(struct daemon *d)
{
	struct config *nc, *old = d->conf;
	struct watch **nw, *w;
	char *errors = NULL;
	size_t i, kept = 0, added = 0, removed = 0;

	log_info("reloading %s", d->path);
	if ((nc = config_load(d->path, &errors)) == NULL) {
		main_log_errors("reload failed: ", errors);
		log_warnx("reload failed; still running with the old config");
		free(errors);
		return;
	}
	nw = xcalloc(nc->nwatches ? nc->nwatches : 1, sizeof(*nw));
	for (i = 0; i < nc->nwatches; i++) {
		w = main_find_watch(d, nc->watches[i].name);
		if (w != NULL &&
		    config_watch_equal(watch_config(w), &nc->watches[i])) {
			watch_set_config(w, &nc->watches[i]);
			nw[i] = w;
			kept++;
		}
	}
	/* Free what was not kept, then start the new ones. */
	for (i = 0; i < d->nwatches; i++) {
		size_t j;
		int keep = 0;

		for (j = 0; j < nc->nwatches; j++)
			if (nw[j] == d->watches[i])
				keep = 1;
		if (keep)
			continue;
		taskstate_forget_watch(
		    d->ts, watch_config(d->watches[i])->name);
		watch_free(d->watches[i]);
		removed++;
	}
	d->env.max_response_bytes = nc->daemon.max_response_bytes;
	for (i = 0; i < nc->nwatches; i++) {
		if (nw[i] != NULL)
			continue;
		nw[i] =
		    watch_new(&nc->watches[i], &d->env, main_first_delay(i));
		added++;
	}
	free(d->watches);
	d->watches = nw;
	d->nwatches = nc->nwatches;
	d->conf = nc;
	notify_reconfigure(d->notify, nc);
	sched_set_max(d->sched, nc->daemon.max_concurrent_polls);
	config_free(old);
	log_info("reloaded: %zu watches (%zu kept, %zu new or changed, "
		 "%zu stopped)",
	    nc->nwatches, kept, added, removed);
}

/* Shutdown: every notification delivered, or the deadline passed. */
static void
main_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval tick = { 0, MAIN_DRAIN_POLL_MS * 1000 };
	struct daemon *d = arg;
	size_t pending = notify_pending(d->notify);

	if (pending == 0) {
		event_base_loopexit(d->base, NULL);
		return;
	}
	if (monotime_ms() >= d->drain_deadline_ms) {
		log_warnx("shutdown: %zu notifications still undelivered after "
			  "shutdown_timeout",
		    pending);
		event_base_loopexit(d->base, NULL);
		return;
	}
	evtimer_add(d->drain, &tick);
}

/* Begin a graceful stop: no new polls, drain notifications, then exit. */
static void
main_stop(struct daemon *d)
{
	size_t i;

	if (d->stopping)
		return;
	d->stopping = 1;
	log_info("stopping");
	sched_stop(d->sched);
	for (i = 0; i < d->nwatches; i++) {
		watch_free(d->watches[i]);
		d->watches[i] = NULL;
	}
	d->drain_deadline_ms =
	    monotime_ms() + d->conf->daemon.shutdown_timeout_ms;
	d->drain = evtimer_new(d->base, main_drain_cb, d);
	main_drain_cb(-1, 0, d);
}

/* SIGUSR1: one summary line per watch and notifier. */
static void
main_summary(struct daemon *d)
{
	size_t i;

	log_info("summary: %zu watches, %zu tasks, %zu notifications pending",
	    d->nwatches, taskstate_count(d->ts, NULL, -1),
	    notify_pending(d->notify));
	for (i = 0; i < d->nwatches; i++)
		if (d->watches[i] != NULL)
			watch_log_summary(d->watches[i]);
	notify_log_summary(d->notify);
}

/* All signals arrive here through the loop. */
static void
main_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		main_stop(d);
		break;
	case SIGHUP:
		if (!d->stopping)
			main_reload(d);
		break;
	case SIGUSR1:
		main_summary(d);
		break;
	case SIGUSR2:
		log_setverbose(!log_getverbose());
		http_set_debug(d->http, log_getverbose());
		log_info("debug logging %s", log_getverbose() ? "on" : "off");
		break;
	}
}

/* Register the signal events. */
static void
main_signals(struct daemon *d)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		d->sigev[i] = evsignal_new(d->base, sigs[i], main_signal_cb, d);
		if (d->sigev[i] == NULL ||
		    evsignal_add(d->sigev[i], NULL) == -1)
			fatalx("cannot install signal handler %d", sigs[i]);
	}
}

/* Free everything (valgrind-clean exit). */
static void
main_cleanup(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->nwatches; i++)
		watch_free(d->watches[i]);
	free(d->watches);
	notify_free(d->notify);
	http_free(d->http);
	sched_free(d->sched);
	taskstate_free(d->ts);
	for (i = 0; i < sizeof(d->sigev) / sizeof(d->sigev[0]); i++)
		if (d->sigev[i] != NULL)
			event_free(d->sigev[i]);
	if (d->drain != NULL)
		event_free(d->drain);
	event_base_free(d->base);
	config_free(d->conf);
}

/* Parse flags, load the config, run the loop. */
int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d;
	char *errors = NULL;
	int ch, debug = 0, check = 0, verbose = 0;

	memset(&d, 0, sizeof(d));
	d.path = CONFIG_DEFAULT_PATH;
	while ((ch = getopt_long(argc, argv, "df:nv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			d.path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'O':
			d.once = 1;
			break;
		case 'V':
			printf("taskwatchd %s\n", TASKWATCH_VERSION);
			return 0;
		default:
			main_usage();
		}
	}
	if (optind != argc)
		main_usage();

	if ((d.conf = config_load(d.path, &errors)) == NULL) {
		fputs(errors ? errors : "invalid config\n", stderr);
		free(errors);
		return EX_CONFIG_;
	}
	if (check) {
		if (verbose)
			config_print(d.conf, stdout);
		else
			fprintf(stderr, "configuration OK\n");
		config_free(d.conf);
		return 0;
	}

	log_init("taskwatchd", debug || d.once, debug || verbose);
	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	d.http = http_new(d.base);
	http_set_debug(d.http, log_getverbose());
	d.sched = sched_new(d.base, d.conf->daemon.max_concurrent_polls);
	d.ts = taskstate_new();
	d.notify = notify_new(d.base, d.http, d.conf);
	d.env.http = d.http;
	d.env.sched = d.sched;
	d.env.ts = d.ts;
	d.env.max_response_bytes = d.conf->daemon.max_response_bytes;
	d.env.emit = main_emit_cb;
	d.env.emit_arg = &d;
	if (d.once) {
		d.env.once_done = main_once_cb;
		d.env.once_arg = &d;
		d.once_left = d.conf->nwatches;
		if (d.once_left == 0) {
			main_cleanup(&d);
			return 0;
		}
	}
	main_signals(&d);
	main_start_watches(&d);
	log_info("taskwatchd %s started: %zu watches, %zu notifiers",
	    TASKWATCH_VERSION, d.conf->nwatches, d.conf->nnotifiers);

	event_base_dispatch(d.base);

	main_cleanup(&d);
	log_info("exiting");
	return d.once && d.once_failed ? 1 : 0;
}
