/*
 * taskwatchd: flags, config load, the event loop, signals.  Everything runs
 * on one libevent base; signals arrive as loop events, so no work happens in
 * a signal handler.  A reload builds a new config and swaps it in, keeping
 * the task table and every queued notification.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "check.h"
#include "credentials.h"
#include "durable.h"
#include "evt.h"
#include "http.h"
#include "iam.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "notify.h"
#include "outbox.h"
#include "ratelimit.h"
#include "sched.h"
#include "sdnotify.h"
#include "spawn.h"
#include "statefile.h"
#include "status.h"
#include "taskstate.h"
#include "watch.h"
#include "xmalloc.h"

#define EX_USAGE_ 64
#define EX_CONFIG_ 78
#define MAIN_DRAIN_POLL_MS 100
#define MAIN_SAVE_NICE 10 /* the save child runs this much nicer */
#define MAIN_SAVE_MS 1000 /* the task table is saved at most this often */
#define MAIN_SAVE_MINOR_MS 60000    /* progress-only changes wait this long */
#define MAIN_SAVE_GAP_FACTOR 20     /* no saving more than 1/20 of the time */
#define MAIN_SAVE_GAP_MAX_MS 300000 /* ... nor waiting longer than this */
#define MAIN_SAVE_TIMEOUT_MS 600000 /* a save child stuck this long is killed */
#define MAIN_SERVICE_STATUS_MS 5000 /* STATUS= refresh */

/* What a save of the task table covers, taken when it starts. */
struct main_cover {
	uint64_t changes; /* taskstate_changes() */
	uint64_t major;   /* the same without progress-only changes */
	uint64_t mark;    /* deliveries (outbox_mark) */
	int settled;      /* restored watches detected all again */
	int64_t at;       /* its saved_at stamp */
};

struct daemon {
	const char *path;
	struct config *conf;
	struct event_base *base;
	struct http *http;
	struct sched *sched;
	struct taskstate *ts;
	struct ratelimit_set *limits;
	struct iam *iam;
	struct credentials_cache *creds;
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
	struct status *status;      /* daemon.listen; NULL with --once */
	struct event *service;      /* watchdog pings and STATUS= */
	char *service_status;       /* the STATUS= line last sent */
	struct statefile *sf;       /* the saved task table; NULL with --once */
	struct outbox *ob;          /* undelivered notifications; NULL too */
	struct event *save;         /* saves the table when it changed */
	uint64_t saved_changes;     /* taskstate_changes() at the last save */
	uint64_t saved_major;       /* the same without progress-only changes */
	uint64_t saved_ms;          /* monotonic time of the last save */
	uint64_t save_gap_ms;       /* the next save waits this long after it */
	struct spawn *saver;        /* the child process that writes a save */
	struct spawn_child *saving; /* the save being written, or NULL */
	struct main_cover cover;    /* what that save covers */
	int urgent; /* a baseline waits: save now, whatever the gap */
	pid_t pid;  /* this process, as the save child sees it */
};

/* Print usage and exit 64. */
static void __attribute__((noreturn)) main_usage(void)
{
	fprintf(stderr, "usage: taskwatchd [-dnv] [-f file] [--once]\n");
	exit(EX_USAGE_);
}

/*
 * Secrets (keys, tokens) live in this process's memory: never let it reach
 * a core file.
 */
static void
main_no_core(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		log_warn("setrlimit(RLIMIT_CORE)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		log_warn("prctl(PR_SET_DUMPABLE)");
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

/* A config warning (config_warnings) to the log. */
static void
main_warning_log_cb(void *arg, int line, int col, const char *msg)
{
	const struct config *conf = arg;

	log_warnx("%s:%d:%d: %s", conf->path, line, col, msg);
}

/* An event from a watch: log it and hand it to the notifiers. */
static void
main_emit_cb(struct evt *ev, void *arg)
{
	struct daemon *d = arg;
	char *summary;

	metrics_add(metrics_global(), METRICS_EVENTS, 1, "watch", ev->watch,
	    "event", evt_kind_name(ev->kind), NULL);
	notify_event(d->notify, ev);
	/* Logged once in the outbox: a logged id is never lost (crash.sh). */
	summary = evt_summary(ev);
	log_debug("event %s %s id=%s: %s", evt_kind_name(ev->kind),
	    config_severity_name(ev->severity), ev->id, summary);
	free(summary);
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
 * A watch whose identity (account, API) is unchanged keeps its object, and
 * so its schedule, failure count and tasks, whatever tuning or scope
 * changed (watch_set_config); one whose identity changed, or that is gone,
 * is dropped with its tasks, and a new one starts from a baseline.
 */
static void
main_reload(struct daemon *d)
{
	struct config *nc, *old = d->conf;
	struct watch **nw, *w;
	char *errors = NULL;
	size_t i, kept = 0, added = 0, removed = 0;

	log_info("reloading %s", d->path);
	/* Every secret is read before the swap: a bad one fails the reload. */
	if ((nc = config_load(d->path, &errors)) == NULL ||
	    credentials_check(nc, &errors, NULL) > 0) {
		main_log_errors("reload failed: ", errors);
		log_warnx("reload failed; still running with the old config");
		free(errors);
		config_free(nc);
		return;
	}
	free(errors);
	nw = xcalloc(nc->nwatches ? nc->nwatches : 1, sizeof(*nw));
	for (i = 0; i < nc->nwatches; i++) {
		w = main_find_watch(d, nc->watches[i].name);
		if (w != NULL &&
		    config_watch_same_identity(
			watch_config(w), &nc->watches[i])) {
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
	/* Secrets are read again: a reload is how keys are rotated. */
	credentials_cache_clear(d->creds);
	iam_reconfigure(d->iam, nc);
	if (d->sf != NULL &&
	    strcmp(old->daemon.state_dir, nc->daemon.state_dir) != 0)
		log_warnx("reload: state_dir %s takes effect at the next "
			  "start; still using %s",
		    nc->daemon.state_dir, old->daemon.state_dir);
	config_free(old);
	config_warnings(nc, main_warning_log_cb, nc);
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
	sdnotify_stopping();
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

/* The status endpoint's view of the daemon, for each request. */
static void
main_status_view_cb(struct status_view *v, void *arg)
{
	struct daemon *d = arg;

	v->conf = d->conf;
	v->watches = d->watches;
	v->nwatches = d->nwatches;
	v->ts = d->ts;
	v->notify = d->notify;
	v->http = d->http;
	v->stopping = d->stopping;
	if (d->ob != NULL && outbox_degraded(d->ob))
		v->problem = "state_dir: notifications are held in memory only "
			     "(the outbox cannot be written)";
	else if (d->sf != NULL && !statefile_ok(d->sf))
		v->problem = "state_dir: the task table cannot be saved";
}

/* Follow daemon.listen after a reload; a failed bind keeps the old one. */
static void
main_relisten(struct daemon *d)
{
	char *cause = NULL;

	if (d->status == NULL ||
	    status_listen(d->status, d->conf->daemon.listen, &cause) == 0)
		return;
	log_warnx("status endpoint: %s; still serving the old address", cause);
	free(cause);
}

/* Send STATUS= to the service manager when the summary changed. */
static void
main_service_status(struct daemon *d)
{
	size_t i, failing = 0;
	char *line;

	if (!sdnotify_enabled())
		return;
	for (i = 0; i < d->nwatches; i++)
		if (d->watches[i] != NULL &&
		    watch_get_stats(d->watches[i])->failed)
			failing++;
	line = xasprintf("%s%zu watches, %zu tasks, %zu failing, %zu pending "
			 "notifications",
	    d->stopping ? "stopping: " : "", d->nwatches,
	    taskstate_count(d->ts, NULL, -1), failing,
	    notify_pending(d->notify));
	if (d->service_status != NULL && strcmp(line, d->service_status) == 0) {
		free(line);
		return;
	}
	sdnotify_status(line);
	free(d->service_status);
	d->service_status = line;
}

/* The loop's own timer: WATCHDOG=1 (a stuck loop sends none), STATUS=. */
static void
main_service_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	if (sdnotify_watchdog_ms() > 0)
		sdnotify_watchdog();
	main_service_status(d);
}

/* Start the service timer when a service manager listens. */
static void
main_service_start(struct daemon *d)
{
	uint64_t ms = MAIN_SERVICE_STATUS_MS, wd = sdnotify_watchdog_ms();
	struct timeval tv;

	if (!sdnotify_enabled())
		return;
	if (wd > 0 && wd < ms)
		ms = wd;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	d->service = event_new(d->base, -1, EV_PERSIST, main_service_cb, d);
	if (d->service == NULL || event_add(d->service, &tv) == -1)
		fatalx("cannot add the service timer");
	if (wd > 0)
		log_debug(
		    "watchdog: pinging every %llu ms", (unsigned long long)wd);
}

/*
 * The state directory must exist (made with its parents, mode 0750, if
 * missing) and take a new file; -1 with *cause otherwise.
 */
static int
main_check_state_dir(const char *dir, char **cause)
{
	char *probe;
	int fd;

	if (durable_mkdirs(dir, 0750) == -1) {
		*cause = xasprintf(
		    "cannot create state_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	probe = xasprintf("%s/.taskwatchd-probe.%ld", dir, (long)getpid());
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = xasprintf(
		    "state_dir %s is not writable: %s", dir, strerror(errno));
		free(probe);
		return -1;
	}
	close(fd);
	unlink(probe);
	free(probe);
	return 0;
}

/*
 * A save covering the table up to change covered ended (durable: written):
 * watches held for their baseline's save poll again.
 */
static void
main_release(struct daemon *d, uint64_t covered, int durable)
{
	size_t i;

	d->urgent = 0;
	for (i = 0; i < d->nwatches; i++) {
		if (d->watches[i] == NULL)
			continue;
		watch_saved(d->watches[i], covered, durable);
		if (watch_held(d->watches[i]))
			d->urgent = 1;
	}
	if (d->urgent && d->save != NULL)
		event_active(d->save, EV_TIMEOUT, 0);
}

/*
 * A watch took a baseline: it polls again only once that is saved (a
 * crash before would otherwise take a new, silent one), so save now.
 */
static void
main_baselined_cb(struct watch *w, void *arg)
{
	struct daemon *d = arg;

	d->urgent = 1;
	if (d->save != NULL && d->saving == NULL)
		event_active(d->save, EV_TIMEOUT, 0);
}

/* A save covering cv was written in took_ms: account for it. */
static void
main_saved(struct daemon *d, const struct main_cover *cv, uint64_t took_ms)
{
	d->saved_changes = cv->changes;
	d->saved_major = cv->major;
	d->saved_ms = monotime_ms();
	d->save_gap_ms = took_ms * MAIN_SAVE_GAP_FACTOR;
	if (d->save_gap_ms > MAIN_SAVE_GAP_MAX_MS)
		d->save_gap_ms = MAIN_SAVE_GAP_MAX_MS;
	outbox_saved(d->ob, cv->settled, cv->mark);
	main_release(d, cv->changes, 1);
}

/*
 * In the save child: write the table as it was at fork.  Nothing to log
 * from here: what failed goes on stdout, for main_save_done.
 */
static int
main_save_child(void *arg)
{
	struct daemon *d = arg;
	const char *what;

	/*
	 * Die with the daemon: an orphan finishing an old save could
	 * rename it over a newer one, or share the temporary file with
	 * the next daemon's save.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
	    getppid() != d->pid) {
		dprintf(STDOUT_FILENO, "the daemon is gone");
		return 1;
	}
	if (statefile_write(d->sf, d->ts, d->conf, d->cover.at, &what) == 0)
		return 0;
	dprintf(STDOUT_FILENO, "%s: %s", what, strerror(errno));
	return 1;
}

/* The save child ended. */
static void
main_save_done(const struct spawn_result *r, void *arg)
{
	struct daemon *d = arg;
	char *why;

	d->saving = NULL;
	if (r->how == SPAWN_EXITED && r->status == 0) {
		statefile_result(d->sf, 1, NULL);
		log_debug("saved the task table in %llu ms (pid %ld)",
		    (unsigned long long)r->duration_ms, r->pid);
		main_saved(d, &d->cover, r->duration_ms);
		return;
	}
	if (r->how == SPAWN_CANCELLED)
		return;
	if (r->how == SPAWN_EXITED && r->output_len > 0)
		why = xstrdup(r->output);
	else if (r->how == SPAWN_EXITED)
		why = xasprintf("the save process exited %d", r->status);
	else if (r->how == SPAWN_ERROR)
		why = xasprintf("cannot start the save process: %s", r->error);
	else
		why = xasprintf(
		    "the save process was killed by signal %d", r->status);
	statefile_result(d->sf, 0, why);
	free(why);
	d->saved_ms = monotime_ms(); /* retry after the gap, not at once */
	/* Held watches would be blind until the disk recovers: poll on. */
	main_release(d, 0, 0);
}

/*
 * Save the task table if it changed, unless a notification it detected is
 * in memory only (disk trouble): a table saved ahead of the outbox would
 * lose that event in a crash, one saved behind only detects it again.
 * Then forget the delivered entries the saved table covers.  On the loop
 * a save is written by a child process (fork: the table as it is now,
 * copy-on-write), so the loop never waits for serialising and fsyncing
 * it; force (after the loop) writes it here.
 */
static void
main_save(struct daemon *d, int force)
{
	static const char *const label[] = { "task table save", NULL };
	struct main_cover cv;
	struct spawn_request req;
	uint64_t now = monotime_ms();
	int urgent = d->urgent; /* a baseline waits for this save */

	if (d->saving != NULL)
		return; /* one at a time; its end calls outbox_saved */
	cv.changes = taskstate_changes(d->ts);
	cv.major = cv.changes - taskstate_minor_changes(d->ts);
	cv.mark = outbox_mark(d->ob);
	/*
	 * Delivered entries dedupe what a restart detects again; that takes
	 * each restored watch up to two listings (a vanish without lookup).
	 */
	cv.settled = taskstate_settled(d->ts, WATCH_ABSENCES_NO_LOOKUP);
	cv.at = monotime_wall_ms() / 1000;
	/* Progress alone moving (a common case) is saved less often. */
	if (cv.major == d->saved_major &&
	    (cv.changes == d->saved_changes ||
		(!force && !urgent &&
		    now - d->saved_ms < MAIN_SAVE_MINOR_MS))) {
		outbox_saved(d->ob, cv.settled, cv.mark);
		if (urgent)
			main_release(d, d->saved_changes, 1);
		return;
	}
	if (outbox_degraded(d->ob)) {
		if (urgent)
			main_release(d, 0, 0);
		return;
	}
	/*
	 * Space saves so that saving takes at most 1/20 of the time; a
	 * baseline waiting for its save does not wait for the gap.
	 */
	if (!force && !urgent && now - d->saved_ms < d->save_gap_ms)
		return;
	/* The events of these changes are durable before the table is. */
	outbox_sync(d->ob);
	if (force || d->saver == NULL) {
		if (statefile_save(d->sf, d->ts, d->conf, cv.at) == 0)
			main_saved(d, &cv, monotime_ms() - now);
		return;
	}
	d->cover = cv;
	memset(&req, 0, sizeof(req));
	req.argv = label;
	req.fn = main_save_child;
	req.fn_arg = d;
	req.uid = req.gid = -1;
	req.timeout_ms = MAIN_SAVE_TIMEOUT_MS;
	/*
	 * Background work: where it shares a core with the loop (a pinned
	 * service, a small VM), the loop's polls and deliveries go first.
	 */
	req.nice = MAIN_SAVE_NICE;
	d->saving = spawn_run(d->saver, &req, main_save_done, d);
}

/* The save timer: at most one save per MAIN_SAVE_MS (or the save gap). */
static void
main_save_cb(evutil_socket_t fd, short what, void *arg)
{
	main_save(arg, 0);
}

/*
 * Before the first poll: restore the saved task table, open the outbox
 * and queue again what the previous run did not deliver, start the save
 * timer.  -1 with *cause if the state directory cannot be used.
 */
static int
main_state_open(struct daemon *d, char **cause)
{
	static const struct timeval every = { MAIN_SAVE_MS / 1000,
		(MAIN_SAVE_MS % 1000) * 1000 };
	const char *dir = d->conf->daemon.state_dir;

	d->sf = statefile_new(dir);
	statefile_load(d->sf, d->ts, d->conf);
	d->saved_changes = taskstate_changes(d->ts);
	d->saved_major = d->saved_changes - taskstate_minor_changes(d->ts);
	d->saved_ms = monotime_ms();
	if ((d->ob = outbox_new(d->base, dir, cause)) == NULL)
		return -1;
	notify_set_outbox(d->notify, d->ob);
	d->saver = spawn_new(d->base, 1);
	d->pid = getpid();
	d->save = event_new(d->base, -1, EV_PERSIST, main_save_cb, d);
	if (d->save == NULL || event_add(d->save, &every) == -1)
		fatalx("cannot add the save timer");
	return 0;
}

/*
 * After the loop (drained or timed out): write what the disk refused so
 * far, then save the table one last time.  Undelivered entries stay in the
 * outbox for the next start.
 */
static void
main_state_close(struct daemon *d)
{
	size_t left;

	if (d->ob == NULL)
		return;
	/* A save being written finishes first: the last one is written here. */
	if (d->saving != NULL)
		spawn_wait(d->saving);
	outbox_retry(d->ob);
	if (outbox_degraded(d->ob))
		log_at(LOG_CRIT,
		    "the task table is not saved: some "
		    "notifications could not be written to the "
		    "outbox, and the next start must detect them "
		    "again");
	else
		main_save(d, 1);
	if ((left = outbox_pending(d->ob, NULL)) > 0)
		log_info("%zu undelivered notification%s kept in the outbox "
			 "for the next start",
		    left, left == 1 ? "" : "s");
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
		if (d->stopping)
			break;
		sdnotify_reloading();
		main_reload(d);
		main_relisten(d);
		sdnotify_ready();
		main_service_status(d);
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
	spawn_free(d->saver);
	outbox_free(d->ob);
	statefile_free(d->sf);
	if (d->save != NULL)
		event_free(d->save);
	iam_free(d->iam);
	credentials_cache_free(d->creds);
	http_free(d->http);
	sched_free(d->sched);
	taskstate_free(d->ts);
	ratelimit_set_free(d->limits);
	for (i = 0; i < sizeof(d->sigev) / sizeof(d->sigev[0]); i++)
		if (d->sigev[i] != NULL)
			event_free(d->sigev[i]);
	if (d->drain != NULL)
		event_free(d->drain);
	status_free(d->status);
	if (d->service != NULL)
		event_free(d->service);
	free(d->service_status);
	sdnotify_close();
	event_base_free(d->base);
	config_free(d->conf);
	metrics_global_free();
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

	if (check)
		return check_config(d.path, verbose);
	if ((d.conf = config_load(d.path, &errors)) == NULL) {
		fputs(errors ? errors : "invalid config\n", stderr);
		free(errors);
		return EX_CONFIG_;
	}
	/* Fail fast, every problem at once, on what would only fail later. */
	if (credentials_check(d.conf, &errors, NULL) > 0) {
		fputs(errors, stderr);
		free(errors);
		config_free(d.conf);
		return EX_CONFIG_;
	}
	free(errors);
	if (!d.once &&
	    main_check_state_dir(d.conf->daemon.state_dir, &errors) == -1) {
		fprintf(stderr, "taskwatchd: %s\n", errors);
		free(errors);
		config_free(d.conf);
		return 1;
	}

	log_init("taskwatchd", debug || d.once, debug || verbose);
	main_no_core();
	config_warnings(d.conf, main_warning_log_cb, d.conf);
	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	d.http = http_new(d.base);
	http_set_debug(d.http, log_getverbose());
	d.sched = sched_new(d.base, d.conf->daemon.max_concurrent_polls);
	d.ts = taskstate_new();
	d.notify = notify_new(d.base, d.http, d.conf);
	d.limits = ratelimit_set_new();
	d.iam = iam_new(d.base, d.http);
	d.creds = credentials_cache_new();
	d.env.base = d.base;
	d.env.limits = d.limits;
	d.env.http = d.http;
	d.env.iam = d.iam;
	d.env.creds = d.creds;
	d.env.sched = d.sched;
	d.env.ts = d.ts;
	d.env.max_response_bytes = d.conf->daemon.max_response_bytes;
	d.env.emit = main_emit_cb;
	d.env.emit_arg = &d;
	if (!d.once) {
		d.env.baselined = main_baselined_cb;
		d.env.baselined_arg = &d;
	}
	if (d.once) {
		d.env.once_done = main_once_cb;
		d.env.once_arg = &d;
		d.once_left = d.conf->nwatches;
		if (d.once_left == 0) {
			main_cleanup(&d);
			return 0;
		}
	}
	if (!d.once && main_state_open(&d, &errors) == -1) {
		fprintf(stderr, "taskwatchd: %s\n", errors);
		free(errors);
		main_cleanup(&d);
		return 1;
	}
	if (!d.once) {
		d.status = status_new(d.base, main_status_view_cb, &d);
		if (status_listen(d.status, d.conf->daemon.listen, &errors) ==
		    -1) {
			fprintf(stderr, "taskwatchd: %s\n", errors);
			free(errors);
			main_cleanup(&d);
			return 1;
		}
	}
	main_signals(&d);
	main_start_watches(&d);
	log_info("taskwatchd %s started: %zu watches, %zu notifiers",
	    TASKWATCH_VERSION, d.conf->nwatches, d.conf->nnotifiers);

	/* Config loaded, state restored: tell the service manager. */
	if (!d.once && sdnotify_init() == 0 && sdnotify_enabled()) {
		main_service_start(&d);
		sdnotify_ready();
		main_service_status(&d);
	}
	event_base_dispatch(d.base);
	if (!d.once)
		main_state_close(&d);

	main_cleanup(&d);
	log_info("exiting");
	return d.once && d.once_failed ? 1 : 0;
}
