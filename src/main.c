/*
 * taskwatchd: flags, config load, the event loop, signals.  Everything runs
 * on one libevent base; signals arrive as loop events, so no work happens in
 * a signal handler.  A reload builds a new config and swaps it in, keeping
 * the task table and every queued notification.
 */

#include <getopt.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "control.h"
#include "check.h"
#include "credentials.h"
#include "evt.h"
#include "http.h"
#include "iam.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "notify.h"
#include "oncall.h"
#include "persist.h"
#include "ratelimit.h"
#include "replica.h"
#include "sched.h"
#include "sdnotify.h"
#include "shard.h"
#include "status.h"
#include "taskstate.h"
#include "util.h"
#include "watch.h"
#include "xmalloc.h"

#define EX_USAGE_ 64
#define EX_CONFIG_ 78
#define MAIN_DRAIN_POLL_MS 100
#define MAIN_SERVICE_STATUS_MS 5000 /* STATUS= refresh */

/* What authenticates an account, as a digest (reload: did it change?). */
struct main_secret {
	char *account;
	uint64_t digest;
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
	struct status *status;   /* daemon.listen; NULL with --once */
	struct event *service;   /* watchdog pings and STATUS= */
	char *service_status;    /* the STATUS= line last sent */
	struct persist *persist; /* state_dir; NULL with --once */
	int lock_fd; /* state_dir/lock, flocked for the daemon's life */
	struct control *control;     /* daemon.control_socket; NULL: --once */
	struct oncall *oncall;       /* silences; NULL with --once */
	struct main_secret *secrets; /* per account of the config in use */
	size_t nsecrets;
	struct replica *replica; /* daemon.ha; NULL: the only instance */

	/* For /metrics and /api/v1/status. */
	int64_t started_at;      /* unix seconds */
	int reload_ok;           /* the last reload worked (or none yet) */
	int64_t reload_at;       /* when it was tried; 0: never */
	int64_t loaded_at;       /* the config in use was loaded then */
	char *reload_error;      /* the first error of a failed one */
	struct shard shard_flag; /* -S INDEX/COUNT; count 0: not given */
};

#define MAIN_USAGE \
	"usage: taskwatchd [-dnv] [-f file] [-S index/count] [--once]\n"

/* Print usage and exit 64. */
static void __attribute__((noreturn)) main_usage(void)
{
	fputs(MAIN_USAGE, stderr);
	exit(EX_USAGE_);
}

/* --help: usage and one line per option on stdout, exit 0. */
static void __attribute__((noreturn)) main_help(void)
{
	fputs(MAIN_USAGE
	    "  -d         stay in the foreground, log to stderr (info and up)\n"
	    "  -f file    configuration file (default " CONFIG_DEFAULT_PATH
	    ")\n"
	    "  -n         check the configuration and its secrets, then exit\n"
	    "  -S i/n     poll only shard i of n (overrides daemon.shard)\n"
	    "  -v         log debug messages too; with -n, print the config\n"
	    "  --once     poll every watch once, print the tasks, exit\n"
	    "  --version  print the version and exit\n"
	    "  --help     print this help and exit\n",
	    stdout);
	exit(0);
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

static void main_watch_note(struct daemon *d, const struct evt *ev);

/* An event from a watch: log it and hand it to the notifiers. */
static void
main_emit_cb(struct evt *ev, void *arg)
{
	struct daemon *d = arg;
	char *summary;

	/*
	 * A standby's own poll failures are not the shard's: the active
	 * replica reports its own (a standby's would be held, then sent
	 * stale after a failover).
	 */
	if (d->replica != NULL &&
	    (ev->kind == EVT_WATCH_FAILED || ev->kind == EVT_WATCH_RECOVERED ||
		ev->kind == EVT_WATCH_FLAPPING) &&
	    !replica_active(d->replica)) {
		log_debug("standby: %s of watch %s not sent",
		    evt_kind_name(ev->kind),
		    ev->watch != NULL ? ev->watch : "");
		evt_free(ev);
		return;
	}
	if (ev->kind == EVT_WATCH_FAILED || ev->kind == EVT_WATCH_RECOVERED ||
	    ev->kind == EVT_WATCH_FLAPPING)
		main_watch_note(d, ev);
	oncall_apply(d->oncall, ev);
	metrics_add(metrics_global(), METRICS_EVENTS, 1, "watch",
	    ev->watch != NULL ? ev->watch : "", "event",
	    evt_kind_name(ev->kind), NULL);
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

/* The digests of every account's credentials in conf. */
static void
main_secrets_take(
    const struct config *conf, struct main_secret **out, size_t *nout)
{
	size_t i;

	*out = xcalloc(conf->naccounts ? conf->naccounts : 1, sizeof(**out));
	for (i = 0; i < conf->naccounts; i++) {
		(*out)[i].account = xstrdup(conf->accounts[i].name);
		(*out)[i].digest =
		    credentials_account_digest(&conf->accounts[i]);
	}
	*nout = conf->naccounts;
}

/* Free digests taken by main_secrets_take. */
static void
main_secrets_free(struct main_secret *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].account);
	free(v);
}

/* The digest of account in v; 0 (never a digest) if it is not there. */
static uint64_t
main_secret_of(const struct main_secret *v, size_t n, const char *account)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].account, account) == 0)
			return v[i].digest;
	return 0;
}

/* Poll every watch of account now; the number asked. */
static size_t
main_poll_account(struct daemon *d, const char *account)
{
	size_t i, n = 0;

	for (i = 0; i < d->nwatches; i++)
		if (d->watches[i] != NULL &&
		    strcmp(watch_config(d->watches[i])->account->name,
			account) == 0) {
			watch_poll_now(d->watches[i]);
			n++;
		}
	return n;
}

/* 1 if the last poll of a watch of account failed on a secret here. */
static int
main_local_secret_error(struct daemon *d, const char *account)
{
	size_t i;

	for (i = 0; i < d->nwatches; i++)
		if (d->watches[i] != NULL &&
		    strcmp(watch_config(d->watches[i])->account->name,
			account) == 0 &&
		    watch_get_stats(d->watches[i])->local_secret_error)
			return 1;
	return 0;
}

/* Format a monotonic deadline as local wall-clock HH:MM:SS. */
static void
main_clock(uint64_t left_ms, char *dst, size_t len)
{
	time_t t = (time_t)((monotime_wall_ms() + (int64_t)left_ms) / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(dst, len, "%H:%M:%S", &tm) == 0)
		snprintf(dst, len, "?");
}

/*
 * After a reload: an account whose credentials changed (or whose last
 * poll could not use them here) is unpaused, its IAM token dropped and
 * its watches polled at once.  One whose credentials did not change stays
 * paused after an authentication failure: sending the same wrong
 * signature again only brings the cloud's lock-out closer.
 */
static void
main_secrets_reloaded(struct daemon *d)
{
	struct main_secret *nv;
	const struct config_account *a;
	struct ratelimit *rl;
	uint64_t left, was;
	size_t i, nn;
	char until[16];

	main_secrets_take(d->conf, &nv, &nn);
	for (i = 0; i < nn; i++) {
		a = &d->conf->accounts[i];
		was = main_secret_of(d->secrets, d->nsecrets, a->name);
		rl = ratelimit_set_find(d->limits, a->name);
		left = rl != NULL ? ratelimit_paused_for(rl, monotime_ms()) : 0;
		if ((was != 0 && was != nv[i].digest) ||
		    main_local_secret_error(d, a->name)) {
			if (rl != NULL)
				ratelimit_unpause(rl);
			iam_forget(d->iam, a->name);
			if (main_poll_account(d, a->name) > 0)
				log_info("account %s: credentials changed, "
					 "polling now",
				    a->name);
		} else if (left > 0 &&
		    ratelimit_pause_kind(rl, monotime_ms()) ==
			RATELIMIT_PAUSE_AUTH) {
			main_clock(left, until, sizeof(until));
			log_warnx("account %s: credentials unchanged; still "
				  "paused until %s",
			    a->name, until);
		}
	}
	main_secrets_free(d->secrets, d->nsecrets);
	d->secrets = nv;
	d->nsecrets = nn;
}

/* Note how a load of the config went, for /metrics and /api/v1/status. */
static void
main_reload_result(struct daemon *d, int ok, const char *errors)
{
	struct metrics *m = metrics_global();
	const char *nl;

	d->reload_ok = ok;
	free(d->reload_error);
	d->reload_error = NULL;
	if (ok)
		d->loaded_at = monotime_wall_ms() / 1000;
	else {
		if (errors == NULL)
			errors = "invalid config";
		nl = strchr(errors, '\n');
		d->reload_error = xstrndup(errors,
		    nl != NULL ? (size_t)(nl - errors) : strlen(errors));
	}
	metrics_set(m, METRICS_RELOAD_OK, ok ? 1 : 0, NULL);
	metrics_set(m, METRICS_RELOAD_SUCCESS_TIME, (double)d->loaded_at, NULL);
}

/* Append "what: a, b" to b when there are names; count them in *n. */
static void
main_diff_names(
    struct buf *b, const char *what, const char *const *names, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	buf_printf(b, "%s%zu %s (", b->len > 0 ? ", " : "", n, what);
	for (i = 0; i < n; i++)
		buf_printf(b, "%s%s", i > 0 ? " " : "", names[i]);
	buf_puts(b, ")");
}

/*
 * What a reload changed of the notifiers or rules, by name: "1 added (x),
 * 1 changed (y)", or "unchanged".  text(i) of each side is compared.
 */
static char *
main_diff(size_t nold, size_t nnew, const char *(*name)(const void *, size_t),
    char *(*text)(const void *, size_t), const void *old, const void *nc)
{
	const char **added, **removed, **changed;
	size_t i, j, na = 0, nr = 0, nch = 0;
	char *a, *b2;
	struct buf b;

	added = xcalloc(nnew + 1, sizeof(*added));
	removed = xcalloc(nold + 1, sizeof(*removed));
	changed = xcalloc(nnew + 1, sizeof(*changed));
	for (i = 0; i < nnew; i++) {
		for (j = 0; j < nold; j++)
			if (strcmp(name(nc, i), name(old, j)) == 0)
				break;
		if (j == nold) {
			added[na++] = name(nc, i);
			continue;
		}
		a = text(nc, i);
		b2 = text(old, j);
		if (strcmp(a, b2) != 0)
			changed[nch++] = name(nc, i);
		free(a);
		free(b2);
	}
	for (j = 0; j < nold; j++) {
		for (i = 0; i < nnew; i++)
			if (strcmp(name(nc, i), name(old, j)) == 0)
				break;
		if (i == nnew)
			removed[nr++] = name(old, j);
	}
	buf_init(&b, 0);
	main_diff_names(&b, "added", added, na);
	main_diff_names(&b, "removed", removed, nr);
	main_diff_names(&b, "changed", changed, nch);
	if (b.len == 0)
		buf_puts(&b, "unchanged");
	free(added);
	free(removed);
	free(changed);
	return buf_release(&b);
}

/* The name of the i-th notifier of a config. */
static const char *
main_notifier_name(const void *conf, size_t i)
{
	return ((const struct config *)conf)->notifiers[i].name;
}

/* The i-th notifier of a config as config_print writes it. */
static char *
main_notifier_text(const void *conf, size_t i)
{
	return config_notifier_text(
	    &((const struct config *)conf)->notifiers[i]);
}

/* The name of the i-th rule of a config. */
static const char *
main_rule_name(const void *conf, size_t i)
{
	return ((const struct config *)conf)->rules[i].name;
}

/* The i-th rule of a config as config_print writes it. */
static char *
main_rule_text(const void *conf, size_t i)
{
	return config_rule_text(&((const struct config *)conf)->rules[i]);
}

/* What a reload did to the watches, for its log line. */
struct main_reload_counts {
	size_t kept;
	size_t added;
	size_t removed;
};

/*
 * The watches of the new config nc: an old watch whose identity (account,
 * API) is unchanged is kept with nc's settings, the old ones not kept are
 * freed with their tasks, and the rest start new.  The new array.
 */
static struct watch **
main_reload_watches(
    struct daemon *d, struct config *nc, struct main_reload_counts *c)
{
	struct watch **nw, *w;
	size_t i, j;
	int keep;

	nw = xcalloc(nc->nwatches ? nc->nwatches : 1, sizeof(*nw));
	for (i = 0; i < nc->nwatches; i++) {
		w = main_find_watch(d, nc->watches[i].name);
		if (w != NULL &&
		    config_watch_same_identity(
			watch_config(w), &nc->watches[i])) {
			watch_set_config(w, &nc->watches[i]);
			nw[i] = w;
			c->kept++;
		}
	}
	/* Free what was not kept, then start the new ones. */
	for (i = 0; i < d->nwatches; i++) {
		keep = 0;
		for (j = 0; j < nc->nwatches; j++)
			if (nw[j] == d->watches[i])
				keep = 1;
		if (keep)
			continue;
		taskstate_forget_watch(
		    d->ts, watch_config(d->watches[i])->name);
		watch_free(d->watches[i]);
		c->removed++;
	}
	d->env.max_response_bytes = nc->daemon.max_response_bytes;
	d->env.max_in_flight = nc->daemon.max_concurrent_polls;
	for (i = 0; i < nc->nwatches; i++) {
		if (nw[i] != NULL)
			continue;
		nw[i] =
		    watch_new(&nc->watches[i], &d->env, main_first_delay(i));
		c->added++;
	}
	return nw;
}

/* "shard I of N", or "unsharded", in buf. */
static const char *
main_shard_name(const struct shard *s, char *buf, size_t len)
{
	if (s->count == 0)
		snprintf(buf, len, "unsharded");
	else
		snprintf(buf, len, "shard %u of %u", s->index, s->count);
	return buf;
}

/* Hand the new config nc to the services that keep a part of it. */
static void
main_reload_services(struct daemon *d, struct config *old, struct config *nc)
{
	char name[48];

	notify_reconfigure(d->notify, nc);
	sched_set_max(d->sched, nc->daemon.max_concurrent_polls);
	/* Secrets are read again: a reload is how keys are rotated. */
	credentials_cache_clear(d->creds);
	iam_reconfigure(d->iam, nc);
	main_secrets_reloaded(d);
	if (d->persist != NULL)
		persist_set_config(d->persist, nc);
	if (d->oncall != NULL)
		oncall_set_windows(
		    d->oncall, nc->maintenance, nc->nmaintenance);
	if (d->shard_flag.count == 0 &&
	    !shard_eq(&nc->daemon.shard, &d->env.shard))
		log_warnx("reload: daemon.shard takes effect at the next "
			  "start; still %s",
		    main_shard_name(&d->env.shard, name, sizeof(name)));
	if (old->daemon.ha.netcd != nc->daemon.ha.netcd)
		log_warnx("reload: daemon.ha takes effect at the next start");
	if (d->persist != NULL &&
	    strcmp(old->daemon.state_dir, nc->daemon.state_dir) != 0)
		log_warnx("reload: state_dir %s takes effect at the next "
			  "start; still using %s",
		    nc->daemon.state_dir, old->daemon.state_dir);
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
	struct main_reload_counts c = { 0, 0, 0 };
	struct watch **nw;
	char *errors = NULL, *nfdiff, *rdiff;

	log_info("reloading %s", d->path);
	d->reload_at = monotime_wall_ms() / 1000;
	/* Every secret is read before the swap: a bad one fails the reload. */
	if ((nc = config_load(d->path, &errors)) == NULL ||
	    check_loaded(nc, &errors, NULL) > 0) {
		main_log_errors("reload failed: ", errors);
		log_warnx("reload failed; still running with the old config");
		main_reload_result(d, 0, errors);
		free(errors);
		config_free(nc);
		return;
	}
	free(errors);
	nfdiff = main_diff(old->nnotifiers, nc->nnotifiers, main_notifier_name,
	    main_notifier_text, old, nc);
	rdiff = main_diff(
	    old->nrules, nc->nrules, main_rule_name, main_rule_text, old, nc);
	nw = main_reload_watches(d, nc, &c);
	free(d->watches);
	d->watches = nw;
	d->nwatches = nc->nwatches;
	d->conf = nc;
	main_reload_services(d, old, nc);
	config_warnings(nc, main_warning_log_cb, nc);
	log_info("reloaded: %zu watches (%zu kept, %zu new or changed, "
		 "%zu stopped); %zu notifiers (was %zu: %s); %zu rules (was "
		 "%zu: %s)",
	    nc->nwatches, c.kept, c.added, c.removed, nc->nnotifiers,
	    old->nnotifiers, nfdiff, nc->nrules, old->nrules, rdiff);
	free(nfdiff);
	free(rdiff);
	config_free(old);
	main_reload_result(d, 1, NULL);
}

/* Shutdown: every notification delivered, or the deadline passed. */
static void
main_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval tick = { 0, MAIN_DRAIN_POLL_MS * 1000 };
	struct daemon *d = arg;
	/* What the gate holds (HA, not active) is the active one's to send. */
	size_t pending = notify_pending(d->notify) -
	    (d->replica != NULL ? notify_gate_held(d->notify) : 0);

	if (pending == 0 && !replica_resigning(d->replica)) {
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
	/* A standby takes over now, not when our lease ends. */
	replica_resign(d->replica);
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
	v->ob = d->persist != NULL ? persist_outbox(d->persist) : NULL;
	v->limits = d->limits;
	v->iam = d->iam;
	v->started_at = d->started_at;
	v->reload_ok = d->reload_ok;
	v->reload_at = d->reload_at;
	v->loaded_at = d->loaded_at;
	v->reload_error = d->reload_error;
	v->shard = d->env.shard;
	v->replica = d->replica;
	if (d->persist != NULL)
		v->problem = persist_problem(d->persist);
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

/*
 * The watch a control request names; NULL with *error when there is none
 * or the daemon is stopping (it starts nothing new then).
 */
static struct watch *
main_ctl_watch(struct daemon *d, const char *name, char **error)
{
	struct watch *w;

	if (d->stopping) {
		*error = xstrdup("the daemon is stopping");
		return NULL;
	}
	if ((w = main_find_watch(d, name)) == NULL) {
		*error = xasprintf("no watch named \"%.100s\"", name);
		return NULL;
	}
	return w;
}

/*
 * control "poll": poll a watch now.  A pause of its account (an
 * authentication hold or throttling) is lifted: the operator asked.
 */
static int
main_ctl_poll(const struct control_req *req, struct json_writer *answer,
    char **error, void *arg)
{
	struct daemon *d = arg;
	const char *name = json_get_str(req->root, "watch");
	const struct config_account *a;
	struct watch *w;
	struct ratelimit *rl;
	int cleared = 0;
	enum watch_poll r;

	if ((w = main_ctl_watch(d, name, error)) == NULL)
		return -1;
	a = watch_config(w)->account;
	rl = ratelimit_set_find(d->limits, a->name);
	if (rl != NULL && ratelimit_paused_for(rl, monotime_ms()) > 0) {
		ratelimit_unpause(rl);
		iam_forget(d->iam, a->name);
		cleared = 1;
		log_info("account %s: pause cleared by taskwatchctl poll "
			 "(uid %ld)",
		    a->name, (long)req->peer.uid);
	}
	r = watch_poll_now(w);
	log_info("watch %s: poll asked by uid %ld pid %ld: %s", name,
	    (long)req->peer.uid, (long)req->peer.pid,
	    r == WATCH_POLL_STARTED      ? "polling now"
		: r == WATCH_POLL_QUEUED ? "already waiting for a slot"
					 : "a poll is already in flight");
	json_w_kstr(answer, "watch", name);
	json_w_kbool(answer, "queued", r != WATCH_POLL_BUSY);
	json_w_kbool(answer, "busy", r == WATCH_POLL_BUSY);
	json_w_kbool(answer, "pause_cleared", cleared);
	return 0;
}

/*
 * control "test_event": deliver the event taskwatchctl test-event
 * describes, marked "test": true, through the rules and the outbox like
 * any event (hooks run too; their document says "test": true).  It never
 * touches the task table.
 */
static int
main_ctl_test_event(const struct control_req *req, struct json_writer *answer,
    char **error, void *arg)
{
	struct daemon *d = arg;
	const char *name = json_get_str(req->root, "watch");
	const char *kind = json_get_str(req->root, "kind");
	struct watch *w;
	struct evt *ev;
	char *summary;
	int k = kind != NULL ? evt_kind_from_name(kind) : EVT_TRANSITION;

	if ((w = main_ctl_watch(d, name, error)) == NULL)
		return -1;
	if (k < 0) {
		*error = xasprintf("no event kind \"%.64s\"", kind);
		return -1;
	}
	if ((ev = evt_test_new(watch_config(w), (enum evt_kind)k,
		 json_get_str(req->root, "type"),
		 json_get_str(req->root, "cluster"),
		 json_get_str(req->root, "from"), json_get_str(req->root, "to"),
		 monotime_wall_ms(), error)) == NULL)
		return -1;
	summary = evt_summary(ev);
	log_info("test event %s sent by uid %ld pid %ld: %s", ev->id,
	    (long)req->peer.uid, (long)req->peer.pid, summary);
	free(summary);
	metrics_add(metrics_global(), METRICS_EVENTS, 1, "watch", ev->watch,
	    "event", evt_kind_name(ev->kind), NULL);
	notify_event(d->notify, ev);
	json_w_kstr(answer, "id", ev->id);
	evt_free(ev);
	return 0;
}

/*
 * control "dead_retry": put dead letters back in their notifier's outbox
 * and deliver them again, same event id: the one "id" names, or every one
 * with "all": true; only "notifier"'s when given.
 */
static int
main_ctl_dead_retry(const struct control_req *req, struct json_writer *answer,
    char **error, void *arg)
{
	struct daemon *d = arg;
	const char *id = json_get_str(req->root, "id");
	const char *notifier = json_get_str(req->root, "notifier");
	size_t count = 0;
	int all = 0;

	(void)json_bool(json_get(req->root, "all"), &all);
	if ((id == NULL) == !all) {
		*error = xstrdup("give a dead letter's id, or all");
		return -1;
	}
	if (notify_dead_retry(
		d->notify, notifier, all ? NULL : id, &count, error) == -1)
		return -1;
	log_info("dead letters retried by uid %ld pid %ld: %zu (%s%s%s)",
	    (long)req->peer.uid, (long)req->peer.pid, count, all ? "all" : id,
	    notifier ? ", notifier " : "", notifier ? notifier : "");
	json_w_kint(answer, "retried", (int64_t)count);
	return 0;
}

/*
 * control "ack": acknowledge the task "task" (of "watch" when given) with
 * "comment", or no longer with "remove": true.  The notifiers stop (or
 * resume) what they repeat about it; the ack holds until its state changes.
 */
static int
main_ctl_ack(const struct control_req *req, struct json_writer *answer,
    char **error, void *arg)
{
	struct daemon *d = arg;
	const char *id = json_get_str(req->root, "task");
	struct evt_ack *ack = NULL;
	struct taskstate_acked got;
	size_t alerts;
	int remove = 0;

	(void)json_bool(json_get(req->root, "remove"), &remove);
	if (!remove)
		ack =
		    evt_ack_new((long)req->peer.uid, monotime_wall_ms() / 1000,
			json_get_str(req->root, "comment"), TASK_UNKNOWN);
	if (taskstate_ack(d->ts, json_get_str(req->root, "watch"), id, ack,
		&got, error) == -1) {
		evt_ack_free(ack);
		return -1;
	}
	evt_ack_free(ack);
	alerts = notify_ack(d->notify, got.watch, got.task, got.ack);
	log_info("watch %s: task %s (%s) %s by uid %ld gid %ld pid %ld%s%s",
	    got.watch, id, task_state_name(got.task->state),
	    remove
		? (got.had ? "no longer acknowledged" : "was not acknowledged")
		: "acknowledged",
	    (long)req->peer.uid, (long)req->peer.gid, (long)req->peer.pid,
	    got.ack != NULL && got.ack->comment != NULL ? ": " : "",
	    got.ack != NULL && got.ack->comment != NULL ? got.ack->comment
							: "");
	json_w_kstr(answer, "watch", got.watch);
	json_w_kstr(answer, "task", id);
	json_w_kstr(answer, "cluster", got.task->cluster_id);
	json_w_kstr(answer, "state", task_state_name(got.task->state));
	json_w_kbool(answer, "acknowledged", got.ack != NULL);
	json_w_kbool(answer, "was_acknowledged", got.had);
	json_w_kint(answer, "alerts", (int64_t)alerts);
	return 0;
}

/* control "silence_add" (oncall.h). */
static int
main_ctl_silence_add(const struct control_req *req, struct json_writer *answer,
    char **error, void *arg)
{
	return oncall_ctl_add(
	    ((struct daemon *)arg)->oncall, req, answer, error);
}

/* control "silence_expire" (oncall.h). */
static int
main_ctl_silence_expire(const struct control_req *req,
    struct json_writer *answer, char **error, void *arg)
{
	return oncall_ctl_expire(
	    ((struct daemon *)arg)->oncall, req, answer, error);
}

/* control "silence_list" (oncall.h). */
static int
main_ctl_silence_list(const struct control_req *req, struct json_writer *answer,
    char **error, void *arg)
{
	return oncall_ctl_list(
	    ((struct daemon *)arg)->oncall, req, answer, error);
}

/* control "hooks": each exec notifier's run budget and breaker. */
static int
main_ctl_hooks(const struct control_req *req, struct json_writer *answer,
    char **error, void *arg)
{
	json_w_key(answer, "hooks");
	notify_hooks_write(((struct daemon *)arg)->notify, answer);
	return 0;
}

/* control "hooks_reset": close an exec notifier's circuit breaker. */
static int
main_ctl_hooks_reset(const struct control_req *req, struct json_writer *answer,
    char **error, void *arg)
{
	struct daemon *d = arg;
	const char *name = json_get_str(req->root, "notifier");
	int was_open;

	if (notify_hooks_reset(d->notify, name, &was_open, error) == -1)
		return -1;
	log_info("notifier %s: circuit breaker %s by uid %ld gid %ld pid %ld",
	    name, was_open ? "closed" : "reset (it was closed)",
	    (long)req->peer.uid, (long)req->peer.gid, (long)req->peer.pid);
	json_w_kstr(answer, "notifier", name);
	json_w_kbool(answer, "was_open", was_open);
	return 0;
}

static const char *const main_ctl_watch_args[] = { "watch", NULL };
static const char *const main_ctl_notifier_args[] = { "notifier", NULL };
static const char *const main_ctl_id_args[] = { "id", NULL };
static const char *const main_ctl_ack_args[] = { "task", NULL };

/* The control socket's commands: one row each (control.h). */
static const struct control_cmd main_ctl_table[] = {
	{ "poll", 1, main_ctl_watch_args, main_ctl_poll },
	{ "test_event", 1, main_ctl_watch_args, main_ctl_test_event },
	{ "dead_retry", 1, NULL, main_ctl_dead_retry },
	{ "ack", 1, main_ctl_ack_args, main_ctl_ack },
	{ "silence_add", 1, NULL, main_ctl_silence_add },
	{ "silence_expire", 1, main_ctl_id_args, main_ctl_silence_expire },
	{ "silence_list", 0, NULL, main_ctl_silence_list },
	{ "hooks", 0, NULL, main_ctl_hooks },
	{ "hooks_reset", 1, main_ctl_notifier_args, main_ctl_hooks_reset },
	{ NULL, 0, NULL, NULL },
};

/*
 * Serve daemon.control_socket.  The default path works only where its
 * directory can be made (systemd's RuntimeDirectory, or root): elsewhere
 * one warning and no socket.  A path set in the file must work at start
 * (-1 with *cause); after a reload a failure keeps the old socket.
 */
static int
main_control_listen(struct daemon *d, int reload, char **cause)
{
	const struct config_daemon *dc = &d->conf->daemon;
	char *why = NULL;

	if (control_listen(d->control, dc->control_socket,
		!dc->control_socket_set, &why) == 0)
		return 0;
	if (!dc->control_socket_set && !reload) {
		log_warnx("%s; running without a control socket (taskwatchctl "
			  "poll will not work)",
		    why);
		free(why);
		return 0;
	}
	if (reload) {
		log_warnx("%s; %s", why,
		    control_path(d->control) != NULL
			? "still serving the old control socket"
			: "running without a control socket");
		free(why);
		return 0;
	}
	*cause = why;
	return -1;
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
 * A save of the task table covering change covered ended (durable:
 * written): watches held for their baseline's save poll again.  1 if one
 * is still held.
 */
static int
main_release_cb(uint64_t covered, int durable, void *arg)
{
	struct daemon *d = arg;
	size_t i;
	int held = 0;

	for (i = 0; i < d->nwatches; i++) {
		if (d->watches[i] == NULL)
			continue;
		watch_saved(d->watches[i], covered, durable);
		if (watch_held(d->watches[i]))
			held = 1;
	}
	return held;
}

/* 1 if the watch named is failing or flapping now (not yet recovered). */
static int
main_watch_down_cb(const char *name, void *arg)
{
	struct watch *w = main_find_watch(arg, name);

	return w != NULL &&
	    (watch_get_stats(w)->failed ||
		watch_get_stats(w)->flapping_since_s != 0);
}

/*
 * A watch took a baseline: it polls again only once that is saved (a
 * crash before would otherwise take a new, silent one), so save now.
 */
static void
main_baselined_cb(struct watch *w, void *arg)
{
	struct daemon *d = arg;

	if (d->persist != NULL)
		persist_baselined(d->persist);
}

/*
 * Before the first poll: restore the saved task table and open the outbox
 * the notifiers write through.  -1 with *cause if state_dir is unusable.
 */
static int
main_state_open(struct daemon *d, char **cause)
{
	static const struct oncall_cbs cbs = { main_emit_cb, main_watch_down_cb,
		NULL };
	struct oncall_cbs c = cbs;

	d->persist =
	    persist_new(d->base, d->conf, d->ts, main_release_cb, d, cause);
	if (d->persist == NULL)
		return -1;
	notify_set_outbox(d->notify, persist_outbox(d->persist));
	c.arg = d;
	d->oncall = oncall_new(d->base, d->ts, &c);
	if (oncall_open(d->oncall, d->conf->daemon.state_dir, cause) == -1)
		return -1;
	oncall_set_windows(
	    d->oncall, d->conf->maintenance, d->conf->nmaintenance);
	/* Hook events (hook_failed, ...) go where every event goes. */
	notify_set_emit(d->notify, main_emit_cb, d);
	persist_set_presave(d->persist, oncall_flush, d->oncall);
	return 0;
}

/* The last leader kept this watch's failure state: carry it on. */
static void
main_watch_seed_cb(const char *name, const struct watch_failure *f, void *arg)
{
	struct watch *w = main_find_watch(arg, name);

	if (w != NULL)
		watch_failure_seed(w, f);
}

/* The kept states are in (or could not be read): poll every watch now. */
static void
main_watches_seeded_cb(int ok, void *arg)
{
	struct daemon *d = arg;
	const struct watch_stats *st;
	size_t i;

	for (i = 0; i < d->nwatches; i++) {
		if (d->watches[i] == NULL)
			continue;
		st = watch_get_stats(d->watches[i]);
		/* Its first poll is a baseline: say what that cannot see. */
		if (st->polls_ok == 0 &&
		    !taskstate_restored(
			d->ts, watch_config(d->watches[i])->name))
			log_warnx("ha: watch %s took over before its first "
				  "listing: that listing is its baseline, and "
				  "what failed since the last leader's last "
				  "poll is not reported",
			    watch_config(d->watches[i])->name);
		watch_repace(d->watches[i], 1);
	}
}

/*
 * This replica became the active one of its shard, or stopped being it:
 * poll at full rate (at once, after taking over the watches' failure
 * states: the gap since the last poll is what a failover must not lose)
 * or at a standby's pace.
 */
static void
main_replica_cb(int active, const char *why, void *arg)
{
	struct daemon *d = arg;
	size_t i;

	d->env.pace = active ? 1 : REPLICA_STANDBY_PACE;
	if (active) {
		replica_watches_fetch(
		    d->replica, main_watch_seed_cb, main_watches_seeded_cb, d);
		return;
	}
	for (i = 0; i < d->nwatches; i++)
		if (d->watches[i] != NULL)
			watch_repace(d->watches[i], 0);
}

/*
 * The active replica sent a watch_* event: keep the watch's failure state
 * in etcd for a successor (a recovery clears it).
 */
static void
main_watch_note(struct daemon *d, const struct evt *ev)
{
	struct watch_failure f;
	struct watch *w;

	if (d->replica == NULL || ev->watch == NULL ||
	    (w = main_find_watch(d, ev->watch)) == NULL)
		return;
	memset(&f, 0, sizeof(f));
	/* Failed and flapping are set before their event, cleared after. */
	if (ev->kind != EVT_WATCH_RECOVERED)
		watch_failure_get(w, &f);
	replica_watch_note(d->replica, ev->watch, &f);
}

/* A silence was added or expired here: tell the other replicas. */
static void
main_silence_share_cb(const char *id, const char *text, void *arg)
{
	struct daemon *d = arg;

	replica_silence_share(d->replica, id, text);
}

/* What the other replicas shared of their silences. */
static void
main_silences_cb(
    const char *const *texts, const size_t *lens, size_t n, void *arg)
{
	struct daemon *d = arg;

	oncall_merge_shared(d->oncall, texts, lens, n);
}

/*
 * daemon.ha: join the election of the shard through etcd, as a standby
 * until it is won, and share silences with the other replicas.  -1 with
 * *cause if it cannot be set up.
 */
static int
main_ha_open(struct daemon *d, char **cause)
{
	const struct config_ha *ha = &d->conf->daemon.ha;
	char host[256], *id, *password = NULL, *err = NULL;

	if (ha->netcd == 0)
		return 0;
	if (ha->user != NULL &&
	    credentials_read(&ha->password, &password, &err) == -1) {
		*cause = xasprintf("daemon.ha: %s", err);
		free(err);
		return -1;
	}
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	/* Stable across restarts: a claim of ours is ours again. */
	id = xasprintf("%s:%s", host, d->conf->daemon.state_dir);
	d->env.pace = REPLICA_STANDBY_PACE;
	d->replica = replica_new(d->base, d->http, ha, d->env.shard.index, id,
	    password, d->notify, main_replica_cb, d, cause);
	free(id);
	if (password != NULL)
		xfreesecret(password);
	if (d->replica == NULL)
		return -1;
	oncall_set_share(d->oncall, main_silence_share_cb, d);
	replica_silences_sync(d->replica, main_silences_cb, d);
	log_info("ha: shard %u: standby until the election through %s is won",
	    d->env.shard.index, ha->etcd[0]);
	return 0;
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
		main_control_listen(d, 1, NULL);
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
	free(d->reload_error);
	oncall_free(d->oncall);
	notify_free(d->notify);
	replica_free(d->replica); /* after notify: its checks are cancelled */
	persist_free(d->persist);
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
	control_free(d->control);
	main_secrets_free(d->secrets, d->nsecrets);
	if (d->service != NULL)
		event_free(d->service);
	free(d->service_status);
	sdnotify_close();
	event_base_free(d->base);
	config_free(d->conf);
	metrics_global_free();
	/* Last: the state directory is ours until everything is written. */
	if (d->lock_fd != -1)
		close(d->lock_fd);
}

/* The flags that are not kept in struct daemon. */
struct main_flags {
	int debug;
	int check;
	int verbose;
};

/* Parse the command line into d and f; 1 when --version was answered. */
static int
main_parse_flags(int argc, char *argv[], struct daemon *d, struct main_flags *f)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cause;
	int ch;

	while (
	    (ch = getopt_long(argc, argv, "df:nS:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			f->debug = 1;
			break;
		case 'f':
			d->path = optarg;
			break;
		case 'n':
			f->check = 1;
			break;
		case 'S':
			if (shard_parse(optarg, &d->shard_flag, &cause) == -1) {
				fprintf(stderr, "taskwatchd: -S %s: %s\n",
				    optarg, cause);
				main_usage();
			}
			break;
		case 'v':
			f->verbose = 1;
			break;
		case 'O':
			d->once = 1;
			break;
		case 'V':
			printf("taskwatchd %s\n", TASKWATCH_VERSION);
			return 1;
		case 'h':
			main_help();
		default:
			main_usage();
		}
	}
	if (optind != argc)
		main_usage();
	return 0;
}

/*
 * Load the config, check its secrets and take the state directory's lock;
 * 0, or the exit status after saying why on stderr.
 */
static int
main_load(struct daemon *d)
{
	char *errors = NULL;

	if ((d->conf = config_load(d->path, &errors)) == NULL) {
		fputs(errors ? errors : "invalid config\n", stderr);
		free(errors);
		return EX_CONFIG_;
	}
	/* Fail fast, every problem at once, on what would only fail later. */
	if (check_loaded(d->conf, &errors, NULL) > 0) {
		fputs(errors, stderr);
		free(errors);
		config_free(d->conf);
		return EX_CONFIG_;
	}
	free(errors);
	/*
	 * --once reads and writes nothing in state_dir: it takes no lock
	 * and may run beside the daemon.
	 */
	if (!d->once &&
	    persist_check_dir(
		d->conf->daemon.state_dir, &d->lock_fd, &errors) == -1) {
		fprintf(stderr, "taskwatchd: %s\n", errors);
		free(errors);
		config_free(d->conf);
		return 1;
	}
	return 0;
}

/* Make the event base and the services every watch shares. */
static void
main_setup(struct daemon *d)
{
	if ((d->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	d->http = http_new(d->base);
	http_set_debug(d->http, log_getverbose());
	d->sched = sched_new(d->base, d->conf->daemon.max_concurrent_polls);
	d->ts = taskstate_new();
	d->notify = notify_new(d->base, d->http, d->conf);
	d->started_at = monotime_wall_ms() / 1000;
	metrics_set(metrics_global(), METRICS_PROCESS_START,
	    (double)d->started_at, NULL);
	main_reload_result(d, 1, NULL);
	d->limits = ratelimit_set_new();
	d->iam = iam_new(d->base, d->http);
	d->creds = credentials_cache_new();
}

/*
 * The shard this instance polls: -S, else daemon.shard, else all; fixed
 * for the daemon's life (a reload cannot move units between instances
 * that do not reload together).
 */
static void
main_setup_shard(struct daemon *d)
{
	const struct shard *s =
	    d->shard_flag.count > 0 ? &d->shard_flag : &d->conf->daemon.shard;
	char index[16], count[16];

	d->env.shard = *s;
	snprintf(index, sizeof(index), "%u", s->index);
	snprintf(count, sizeof(count), "%u", s->count);
	metrics_set(metrics_global(), METRICS_SHARD, 1, "index", index, "count",
	    count, NULL);
	if (s->count > 0)
		log_info("shard %u of %u (from %s): polling only the units "
			 "that hash to it",
		    s->index, s->count,
		    d->shard_flag.count > 0 ? "-S" : "daemon.shard");
}

/* The environment every watch gets: the shared services and callbacks. */
static void
main_setup_env(struct daemon *d)
{
	d->env.base = d->base;
	d->env.limits = d->limits;
	d->env.http = d->http;
	d->env.iam = d->iam;
	d->env.creds = d->creds;
	d->env.sched = d->sched;
	d->env.ts = d->ts;
	d->env.max_response_bytes = d->conf->daemon.max_response_bytes;
	d->env.max_in_flight = d->conf->daemon.max_concurrent_polls;
	d->env.emit = main_emit_cb;
	d->env.emit_arg = d;
	main_setup_shard(d);
	if (!d->once) {
		d->env.baselined = main_baselined_cb;
		d->env.baselined_arg = d;
	} else {
		d->env.once_done = main_once_cb;
		d->env.once_arg = d;
		d->once_left = d->conf->nwatches;
	}
}

/*
 * The daemon's own files and sockets (not with --once): the state, the
 * status listener and the control socket; -1 after saying why on stderr.
 */
static int
main_open(struct daemon *d)
{
	char *errors = NULL;

	if (main_state_open(d, &errors) == -1 || main_ha_open(d, &errors) == -1)
		goto fail;
	d->status = status_new(d->base, main_status_view_cb, d);
	if (status_listen(d->status, d->conf->daemon.listen, &errors) == -1)
		goto fail;
	d->control = control_new(d->base, main_ctl_table, d);
	if (main_control_listen(d, 0, &errors) == -1)
		goto fail;
	main_secrets_take(d->conf, &d->secrets, &d->nsecrets);
	return 0;
fail:
	fprintf(stderr, "taskwatchd: %s\n", errors);
	free(errors);
	return -1;
}

/* Start the watches and run the loop until the end; the exit status. */
static int
main_run(struct daemon *d)
{
	main_signals(d);
	main_start_watches(d);
	log_info("taskwatchd %s started: %zu watches, %zu notifiers",
	    TASKWATCH_VERSION, d->conf->nwatches, d->conf->nnotifiers);

	/* Config loaded, state restored: tell the service manager. */
	if (!d->once && sdnotify_init() == 0 && sdnotify_enabled()) {
		main_service_start(d);
		sdnotify_ready();
		main_service_status(d);
	}
	event_base_dispatch(d->base);
	if (!d->once)
		persist_close(d->persist);
	return d->once && d->once_failed ? 1 : 0;
}

/* Parse flags, load the config, run the loop. */
int
main(int argc, char *argv[])
{
	struct daemon d;
	struct main_flags f;
	int rc;

	memset(&d, 0, sizeof(d));
	memset(&f, 0, sizeof(f));
	d.lock_fd = -1;
	d.path = CONFIG_DEFAULT_PATH;
	if (main_parse_flags(argc, argv, &d, &f) == 1)
		return 0;
	if (f.check)
		return check_config(d.path, f.verbose);
	if ((rc = main_load(&d)) != 0)
		return rc;

	log_init("taskwatchd", f.debug || d.once, f.verbose);
	main_no_core();
	config_warnings(d.conf, main_warning_log_cb, d.conf);
	main_setup(&d);
	main_setup_env(&d);
	if (d.once && d.once_left == 0) {
		main_cleanup(&d);
		return 0;
	}
	if (!d.once && main_open(&d) == -1) {
		main_cleanup(&d);
		return 1;
	}
	rc = main_run(&d);
	main_cleanup(&d);
	log_info("exiting");
	return rc;
}
