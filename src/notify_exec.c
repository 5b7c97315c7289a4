/*
 * The exec notifier: runs the configured argv (never a shell) for each
 * event through spawn.c, with the event document on stdin and only PATH,
 * LANG and the TASKWATCH_* variables in the environment.  notify.c runs one
 * event per task at a time; here runs are capped at max_concurrent, held
 * back while their task is in its cooldown, and their output is logged.
 */
#include <sys/queue.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "hashmap.h"
#include "log.h"
#include "monotime.h"
#include "notify_guard.h"
#include "notify_impl.h"
#include "spawn.h"
#include "timer.h"
#include "util.h"
#include "xmalloc.h"

#define NOTIFY_EXEC_INFLIGHT 1024 /* events taken from notify.c's queues */
#define NOTIFY_EXEC_LOG_LINES 32  /* of a hook's output */
#define NOTIFY_EXEC_TEMPFAIL 75   /* EX_TEMPFAIL: the hook asks for a retry */
#define NOTIFY_EXEC_MAX_GROUPS 256

/* When a target (notifier + task) last started a run, for the cooldown. */
struct notify_exec_target {
	struct hashmap_entry hentry; /* first: in x->by_key */
	char *key;
	uint64_t last_ms;                      /* monotonic */
	TAILQ_ENTRY(notify_exec_target) entry; /* oldest first */
};

/* The exec notifier's state: copies, as its config may go away. */
struct notify_exec {
	char **argv;
	uint64_t timeout_ms;
	unsigned max_concurrent;
	uint64_t cooldown_ms;
	char *user;
	int allow_root;
	int dry_run;
	struct audit *audit; /* state_dir/audit.jsonl; NULL: none */
	struct spawn *spawn;
	struct notify_guard *guard; /* run budget, circuit breaker */
	struct hashmap by_key;      /* the targets by key */
	TAILQ_HEAD(, notify_exec_target) targets;
};

/* One delivery in flight: waiting out a cooldown, or running (it->priv). */
struct notify_exec_run {
	struct notify_notifier *nf; /* borrowed */
	struct notify_item *it;     /* borrowed; NULL once cancelled */
	struct timer *wait;         /* the cooldown */
	struct spawn_child *child;
	char *what; /* "event ID (task ...)" for the log */
	char event_id[EVT_ID_LEN + 1];
	enum evt_kind kind;
	unsigned attempt;
};

/* Unlink a target from the hash and the list, and free it. */
static void
notify_exec_target_free(struct notify_exec *x, struct notify_exec_target *t)
{
	hashmap_remove(&x->by_key, &t->hentry);
	TAILQ_REMOVE(&x->targets, t, entry);
	free(t->key);
	free(t);
}

/* Forget targets whose cooldown is over (the oldest come first). */
static void
notify_exec_prune(struct notify_exec *x, uint64_t now)
{
	struct notify_exec_target *t;

	while ((t = TAILQ_FIRST(&x->targets)) != NULL &&
	    now - t->last_ms >= x->cooldown_ms)
		notify_exec_target_free(x, t);
}

/* The target called key, or NULL. */
static struct notify_exec_target *
notify_exec_target_find(struct notify_exec *x, const char *key)
{
	struct hashmap_entry *e = hashmap_get(&x->by_key, key);

	return e != NULL ? HASHMAP_ITEM(e, struct notify_exec_target, hentry)
			 : NULL;
}

/* Note that key starts a run now. */
static void
notify_exec_target_touch(struct notify_exec *x, const char *key, uint64_t now)
{
	struct notify_exec_target *t;

	if (x->cooldown_ms == 0)
		return;
	if ((t = notify_exec_target_find(x, key)) != NULL)
		TAILQ_REMOVE(&x->targets, t, entry);
	else {
		t = xcalloc(1, sizeof(*t));
		t->key = xstrdup(key);
		hashmap_add(&x->by_key, &t->hentry, t->key);
	}
	t->last_ms = now;
	TAILQ_INSERT_TAIL(&x->targets, t, entry);
}

/* Append "NAME=value" (value NULL: empty) to the vector. */
static void
notify_exec_setenv(char **env, size_t *n, const char *name, const char *value)
{
	env[(*n)++] = xasprintf("%s=%s", name, value != NULL ? value : "");
}

/* The variables notify_exec_env sets: PATH, LANG and 21 TASKWATCH_*. */
#define NOTIFY_EXEC_ENV_VARS 23

/*
 * The environment of a hook for ev: PATH, LANG and every TASKWATCH_*
 * variable (empty when it does not apply), NULL-terminated; caller frees
 * with notify_exec_env_free.  Nothing else: not the daemon's
 * CREDENTIALS_DIRECTORY either, so a hook names the one credential it
 * uses by its path (taskwatchd(8), "Remediation recipes").
 */
char **
notify_exec_env(const struct evt *ev)
{
	const struct task *t = &ev->task;
	enum config_severity sev = ev->severity;
	char **env, progress[16], started[UTIL_RFC3339_LEN], *summary;
	size_t n = 0;
	int task = ev->has_task;

	env = xcalloc(NOTIFY_EXEC_ENV_VARS + 1, sizeof(*env));
	if (sev == CONFIG_SEVERITY_UNSET)
		sev = evt_default_severity(ev);
	progress[0] = '\0';
	if (task && t->progress != TASK_PROGRESS_NONE)
		snprintf(progress, sizeof(progress), "%d", t->progress);
	started[0] = '\0';
	if (task && t->started_at != TASK_TIME_NONE)
		util_format_rfc3339(t->started_at, started);
	notify_exec_setenv(env, &n, "PATH", "/usr/bin:/bin");
	notify_exec_setenv(env, &n, "LANG", "C.UTF-8");
	notify_exec_setenv(env, &n, "TASKWATCH_EVENT", evt_kind_name(ev->kind));
	notify_exec_setenv(env, &n, "TASKWATCH_EVENT_ID", ev->id);
	notify_exec_setenv(
	    env, &n, "TASKWATCH_SEVERITY", config_severity_name(sev));
	notify_exec_setenv(env, &n, "TASKWATCH_WATCH", ev->watch);
	notify_exec_setenv(env, &n, "TASKWATCH_API", ev->api);
	notify_exec_setenv(env, &n, "TASKWATCH_ACCOUNT", ev->account);
	notify_exec_setenv(env, &n, "TASKWATCH_REGION", ev->region);
	notify_exec_setenv(
	    env, &n, "TASKWATCH_CLUSTER_ID", task ? t->cluster_id : NULL);
	notify_exec_setenv(
	    env, &n, "TASKWATCH_CLUSTER_NAME", task ? t->cluster_name : NULL);
	notify_exec_setenv(env, &n, "TASKWATCH_TASK_ID", task ? t->id : NULL);
	notify_exec_setenv(
	    env, &n, "TASKWATCH_TASK_TYPE", task ? t->type : NULL);
	notify_exec_setenv(env, &n, "TASKWATCH_STATE",
	    task ? task_state_name(t->state) : NULL);
	notify_exec_setenv(env, &n, "TASKWATCH_PREV_STATE",
	    task && ev->has_previous ? task_state_name(ev->prev_state) : NULL);
	notify_exec_setenv(
	    env, &n, "TASKWATCH_RAW_STATUS", task ? t->raw_status : NULL);
	notify_exec_setenv(env, &n, "TASKWATCH_PROGRESS", progress);
	notify_exec_setenv(
	    env, &n, "TASKWATCH_REASON", task ? t->reason : ev->error_msg);
	notify_exec_setenv(
	    env, &n, "TASKWATCH_MISSED", ev->missed ? "true" : "false");
	notify_exec_setenv(env, &n, "TASKWATCH_ERROR_CLASS",
	    task ? NULL : ev->error_class); /* watch_failed, watch_flapping */
	notify_exec_setenv(env, &n, "TASKWATCH_RULE", ev->rule);
	notify_exec_setenv(env, &n, "TASKWATCH_STARTED_AT", started);
	/* One line: evt_summary turns control characters into spaces. */
	summary = evt_summary(ev);
	notify_exec_setenv(env, &n, "TASKWATCH_SUMMARY", summary);
	free(summary);
	env[n] = NULL;
	return env;
}

/* Free an environment from notify_exec_env; NULL is a no-op. */
void
notify_exec_env_free(char **env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/*
 * Log a hook's output, one log call per line, control characters escaped
 * (so the output cannot forge log lines), at most NOTIFY_EXEC_LOG_LINES.
 */
static void
notify_exec_log_output(struct notify_notifier *nf, int prio, const char *what,
    const char *out, size_t len, uint64_t total)
{
	const unsigned char *p = (const unsigned char *)out;
	struct buf line;
	size_t i = 0;
	int nlines = 0;

	buf_init(&line, 0);
	while (i < len) {
		if (nlines == NOTIFY_EXEC_LOG_LINES) {
			log_at(prio,
			    "notifier %s: %s: output: ... (%zu more "
			    "bytes not shown)",
			    nf->name, what, len - i);
			break;
		}
		buf_reset(&line);
		for (; i < len && p[i] != '\n'; i++) {
			if (p[i] == '\\')
				buf_puts(&line, "\\\\");
			else if (p[i] == '\t')
				buf_puts(&line, "\\t");
			else if (p[i] == '\r')
				buf_puts(&line, "\\r");
			else if (p[i] < 0x20 || p[i] == 0x7f)
				buf_printf(&line, "\\x%02x", p[i]);
			else
				buf_putc(&line, (char)p[i]);
		}
		if (i < len)
			i++; /* the newline */
		log_at(prio, "notifier %s: %s: output: %s", nf->name, what,
		    buf_str(&line));
		nlines++;
	}
	if (total > len)
		log_at(prio,
		    "notifier %s: %s: output: ... (%llu more bytes "
		    "discarded)",
		    nf->name, what, (unsigned long long)(total - len));
	buf_free(&line);
}

/* How a run ended, for the circuit breaker. */
static enum hookguard_outcome
notify_exec_outcome(const struct spawn_result *r)
{
	if (r->how == SPAWN_EXITED && r->status == 0)
		return HOOKGUARD_OK;
	if (r->how == SPAWN_EXITED || r->how == SPAWN_SIGNALED ||
	    r->how == SPAWN_TIMEOUT || r->how == SPAWN_ERROR)
		return HOOKGUARD_FAILED; /* could not start: broken too */
	return HOOKGUARD_CANCELLED;
}

/* Free a run (its timer and strings); the child is done or cancelled. */
static void
notify_exec_run_free(struct notify_exec_run *run)
{
	timer_free(run->wait);
	free(run->what);
	free(run);
}

/* Append rec to the audit log, if the daemon has a state directory. */
static void
notify_exec_audit(struct notify_notifier *nf, const struct audit_record *rec)
{
	struct notify_exec *x = nf->priv;

	if (x->audit == NULL)
		return;
	/* A reload may have changed the size. */
	audit_set_max(x->audit, notify_daemon_conf(nf)->audit_max_size);
	audit_write(x->audit, rec);
}

/*
 * Record how the hook of run ended: its audit line, its count, and a
 * hook_failed event when it failed (a could-not-start retried raises it
 * at its first attempt only).
 */
static void
notify_exec_record(struct notify_notifier *nf, struct notify_exec_run *run,
    const struct spawn_result *r, enum notify_result result)
{
	struct notify_exec *x = nf->priv;
	struct audit_record rec;
	struct evt *ev;

	audit_record_init(&rec, nf->name, run->event_id,
	    evt_kind_name(run->kind), (const char *const *)x->argv,
	    run->attempt);
	audit_record_end(&rec, r);
	notify_exec_audit(nf, &rec);
	if (run->it != NULL && (result == NOTIFY_FAILED || run->attempt == 1) &&
	    (ev = audit_hook_failed(&rec, run->it->ev)) != NULL)
		notify_emit(nf, ev);
}

/* A run ended: log how, and report to notify.c. */
static void
notify_exec_done_cb(const struct spawn_result *r, void *arg)
{
	struct notify_exec_run *run = arg;
	struct notify_notifier *nf = run->nf;
	struct notify_item *it = run->it;
	enum notify_result result;
	char dur[32], err[128];
	int prio;

	run->child = NULL;
	if (it == NULL) {
		/* Our own cancel (notify_exec_cancel): the item is gone. */
		notify_exec_record(nf, run, r, NOTIFY_RETRY);
		notify_exec_run_free(run);
		return;
	}
	it->priv = NULL;
	util_format_duration(r->duration_ms, dur, sizeof(dur));
	switch (r->how) {
	case SPAWN_EXITED:
		snprintf(err, sizeof(err), "exited with status %d", r->status);
		if (r->status == 0)
			result = NOTIFY_DELIVERED;
		else if (r->status == NOTIFY_EXEC_TEMPFAIL)
			result = NOTIFY_RETRY;
		else
			result = NOTIFY_FAILED;
		break;
	case SPAWN_SIGNALED:
		snprintf(err, sizeof(err), "killed by signal %d", r->status);
		result = NOTIFY_FAILED;
		break;
	case SPAWN_TIMEOUT:
		snprintf(err, sizeof(err),
		    "timed out; its process group was killed");
		result = NOTIFY_FAILED;
		break;
	case SPAWN_ERROR:
		snprintf(err, sizeof(err), "could not start: %s",
		    r->error != NULL ? r->error : "error");
		result = NOTIFY_RETRY;
		break;
	default:
		snprintf(err, sizeof(err), "cancelled");
		result = NOTIFY_RETRY;
		break;
	}
	notify_guard_done(((struct notify_exec *)nf->priv)->guard, it->ev,
	    notify_exec_outcome(r), err);
	prio = result == NOTIFY_DELIVERED ? LOG_INFO : LOG_WARNING;
	log_at(prio, "notifier %s: %s: hook (pid %ld) %s after %s", nf->name,
	    run->what, r->pid, err, dur);
	notify_exec_log_output(
	    nf, prio, run->what, r->output, r->output_len, r->output_total);
	notify_exec_record(nf, run, r, result);
	notify_exec_run_free(run);
	notify_item_done(
	    it, result, -1, result == NOTIFY_DELIVERED ? NULL : err);
}

/*
 * Who the hook runs as: uid -1 for "as we are".  Refuses root unless the
 * config allows it.  -1 with *cause (static) and *final set on error.
 */
static int
notify_exec_identity(struct notify_exec *x, struct spawn_request *req,
    long *groups, size_t *ngroups, const char **cause, int *final)
{
	struct passwd *pw;
	gid_t g[NOTIFY_EXEC_MAX_GROUPS];
	int n = NOTIFY_EXEC_MAX_GROUPS, i;

	req->uid = req->gid = -1;
	*ngroups = 0;
	*final = 1;
	if (x->user == NULL) {
		if (geteuid() == 0 && !x->allow_root) {
			*cause = "refusing to run a hook as root; set user: "
				 "or allow_root: true";
			return -1;
		}
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(x->user)) == NULL) {
		/* These mean "not found" (getpwnam(3)); others may pass. */
		if (errno == 0 || errno == ENOENT || errno == ESRCH ||
		    errno == EBADF || errno == EPERM) {
			*cause = "no such user";
			return -1;
		}
		*cause = "cannot look up the user";
		*final = 0;
		return -1;
	}
	if (pw->pw_uid == 0 && !x->allow_root) {
		*cause = "refusing to run a hook as root (user: is uid 0); "
			 "set allow_root: true";
		return -1;
	}
	if (pw->pw_uid == geteuid() && pw->pw_gid == getegid())
		return 0;
	if (geteuid() != 0) {
		*cause = "user: needs taskwatchd to run as root";
		return -1;
	}
	if (getgrouplist(pw->pw_name, pw->pw_gid, g, &n) == -1) {
		g[0] = pw->pw_gid;
		n = 1;
	}
	for (i = 0; i < n; i++)
		groups[i] = (long)g[i];
	*ngroups = (size_t)n;
	req->uid = (long)pw->pw_uid;
	req->gid = (long)pw->pw_gid;
	return 0;
}

/* Record a run that could not start (who it would run as). */
static void
notify_exec_not_started(struct notify_exec_run *run, const char *err, int final)
{
	struct spawn_result r;

	memset(&r, 0, sizeof(r));
	r.how = SPAWN_ERROR;
	r.status = -1;
	r.error = err;
	notify_exec_record(
	    run->nf, run, &r, final ? NOTIFY_FAILED : NOTIFY_RETRY);
}

/*
 * Record in the audit log that a guard held the hook of run back: why is
 * "budget" or "circuit_open", written as outcome suppressed_budget or
 * suppressed_circuit_open.
 */
static void
notify_exec_held(struct notify_exec_run *run, const char *why)
{
	struct notify_exec *x = run->nf->priv;
	struct audit_record rec;
	char outcome[48];

	audit_record_init(&rec, run->nf->name, run->event_id,
	    evt_kind_name(run->kind), (const char *const *)x->argv,
	    run->attempt);
	snprintf(outcome, sizeof(outcome), "suppressed_%s", why);
	rec.outcome = outcome;
	notify_exec_audit(run->nf, &rec);
}

/*
 * dry_run: log and record what the hook of run would get (argv, env,
 * stdin), run nothing, and report the item delivered.
 */
static void
notify_exec_dry_run(struct notify_exec_run *run, char **env)
{
	struct notify_notifier *nf = run->nf;
	struct notify_exec *x = nf->priv;
	struct notify_item *it = run->it;
	struct audit_record rec;
	const char *input;
	size_t len;

	input = notify_item_body(it, &len);
	log_info("notifier %s: %s: dry run: would run %s", nf->name, run->what,
	    x->argv[0]);
	audit_record_init(&rec, nf->name, run->event_id,
	    evt_kind_name(run->kind), (const char *const *)x->argv,
	    run->attempt);
	audit_record_dry_run(&rec, (const char *const *)env, input, len);
	notify_exec_audit(nf, &rec);
	notify_exec_env_free(env);
	/*
	 * Neither a success nor a failure for the breaker (a half-open
	 * trial stays open for a real run); the budget counted it, so a dry
	 * run shows what max_runs would hold back.
	 */
	notify_guard_done(x->guard, it->ev, HOOKGUARD_CANCELLED, NULL);
	it->priv = NULL;
	notify_exec_run_free(run);
	notify_item_done(it, NOTIFY_DELIVERED, -1, NULL);
}

/* Start the hook of run now. */
static void
notify_exec_start(struct notify_exec_run *run)
{
	struct notify_notifier *nf = run->nf;
	struct notify_exec *x = nf->priv;
	struct notify_item *it = run->it;
	struct spawn_request req;
	long groups[NOTIFY_EXEC_MAX_GROUPS];
	const char *cause;
	char **env, *key, *err;
	int final;

	memset(&req, 0, sizeof(req));
	if (!notify_guard_admit(x->guard, it->ev, run->what, &cause)) {
		/* Delivered, not run: a retry would defeat the guard. */
		notify_exec_held(run, cause);
		it->priv = NULL;
		notify_exec_run_free(run);
		notify_item_done(it, NOTIFY_DELIVERED, -1, NULL);
		return;
	}
	if (notify_exec_identity(
		x, &req, groups, &req.ngroups, &cause, &final) == -1) {
		/* Could not start: a broken remediation, for the breaker. */
		notify_guard_done(x->guard, it->ev, HOOKGUARD_FAILED, cause);
		err = xasprintf("%s%s%s", cause, x->user != NULL ? ": " : "",
		    x->user != NULL ? x->user : "");
		notify_exec_not_started(run, err, final);
		it->priv = NULL;
		notify_exec_run_free(run);
		notify_item_done(
		    it, final ? NOTIFY_FAILED : NOTIFY_RETRY, -1, err);
		free(err);
		return;
	}
	req.groups = groups;
	env = notify_exec_env(it->ev);
	if (x->dry_run) {
		notify_exec_dry_run(run, env);
		return;
	}
	req.argv = (const char *const *)x->argv;
	req.envp = (const char *const *)env;
	req.input = notify_item_body(it, &req.input_len);
	req.timeout_ms = x->timeout_ms;
	req.max_output = SPAWN_MAX_OUTPUT;
	req.keep_tail = AUDIT_OUTPUT_MAX;
	key = notify_guard_cooldown_key(x->guard, it->ev);
	notify_exec_target_touch(x, key, monotime_ms());
	free(key);
	log_debug(
	    "notifier %s: %s: running %s", nf->name, run->what, x->argv[0]);
	run->child = spawn_run(x->spawn, &req, notify_exec_done_cb, run);
	notify_exec_env_free(env);
}

/* The cooldown of run's task is over. */
static void
notify_exec_wait_cb(void *arg)
{
	struct notify_exec_run *run = arg;

	notify_exec_start(run);
}

/* Run the hook for it, after its task's cooldown if one is running. */
static void
notify_exec_deliver(struct notify_notifier *nf, struct notify_item *it)
{
	struct notify_exec *x = nf->priv;
	struct notify_exec_run *run;
	struct notify_exec_target *t;
	uint64_t now = monotime_ms(), left;
	char *key, dur[32];
	const struct evt *ev = it->ev;

	run = xcalloc(1, sizeof(*run));
	run->nf = nf;
	run->it = it;
	memcpy(run->event_id, ev->id, sizeof(run->event_id));
	run->kind = ev->kind;
	run->attempt = it->attempts;
	if (ev->has_task)
		run->what =
		    xasprintf("%s event %s (task %s)", evt_kind_name(ev->kind),
			ev->id, ev->task.id != NULL ? ev->task.id : "");
	else
		run->what =
		    xasprintf("%s event %s (watch %s)", evt_kind_name(ev->kind),
			ev->id, ev->watch != NULL ? ev->watch : "");
	it->priv = run;

	notify_exec_prune(x, now);
	key = notify_guard_cooldown_key(x->guard, ev);
	t = x->cooldown_ms != 0 ? notify_exec_target_find(x, key) : NULL;
	free(key);
	if (t == NULL) {
		notify_exec_start(run);
		return;
	}
	left = t->last_ms + x->cooldown_ms - now;
	util_format_duration(left, dur, sizeof(dur));
	log_info("notifier %s: %s: in cooldown; runs in %s", nf->name,
	    run->what, dur);
	run->wait = timer_new(nf->base, notify_exec_wait_cb, run);
	timer_add_ms(run->wait, left);
}

/* Abort it: stop waiting, or cancel (and kill) its hook. */
static void
notify_exec_cancel(struct notify_notifier *nf, struct notify_item *it)
{
	struct notify_exec_run *run = it->priv;

	it->priv = NULL;
	if (run == NULL)
		return;
	run->it = NULL;
	if (run->child != NULL) {
		/* Neither a success nor a failure for the breaker. */
		notify_guard_done(((struct notify_exec *)nf->priv)->guard, NULL,
		    HOOKGUARD_CANCELLED, NULL);
		spawn_cancel(run->child); /* frees run in the callback */
	} else
		notify_exec_run_free(run);
}

/* Free the copied settings. */
static void
notify_exec_clear(struct notify_exec *x)
{
	size_t i;

	for (i = 0; x->argv != NULL && x->argv[i] != NULL; i++)
		free(x->argv[i]);
	free(x->argv);
	x->argv = NULL;
	free(x->user);
	x->user = NULL;
}

/* Copy the command and limits from conf; warn of a hook that cannot run. */
static void
notify_exec_configure(
    struct notify_notifier *nf, const struct config_notifier *conf)
{
	struct notify_exec *x = nf->priv;
	size_t i;

	if (x == NULL) {
		nf->priv = x = xcalloc(1, sizeof(*x));
		TAILQ_INIT(&x->targets);
		hashmap_init(&x->by_key);
		x->guard = notify_guard_new(nf);
	}
	notify_guard_configure(x->guard, conf);
	notify_exec_clear(x);
	x->argv = xcalloc(conf->command.n + 1, sizeof(*x->argv));
	for (i = 0; i < conf->command.n; i++)
		x->argv[i] = xstrdup(conf->command.v[i]);
	x->timeout_ms = conf->timeout_ms;
	x->max_concurrent = conf->max_concurrent > 0 ? conf->max_concurrent : 1;
	x->cooldown_ms = conf->cooldown_ms;
	x->user = conf->user != NULL ? xstrdup(conf->user) : NULL;
	x->allow_root = conf->allow_root;
	x->dry_run = conf->dry_run;
	if (x->spawn == NULL)
		x->spawn = spawn_new(nf->base, x->max_concurrent);
	else
		spawn_set_max(x->spawn, x->max_concurrent);
	/*
	 * The cap is spawn's: here, events waiting out a cooldown or a free
	 * slot must not keep other tasks' events from being taken.
	 */
	nf->max_inflight = NOTIFY_EXEC_INFLIGHT;
	/* Running as root without user: is a config_warnings warning. */
	if (x->argv[0] != NULL && access(x->argv[0], X_OK) == -1)
		log_warn("notifier %s: %s", nf->name, x->argv[0]);
}

/* Free the exec notifier's state (notify.c cancelled its runs). */
static void
notify_exec_free(struct notify_notifier *nf)
{
	struct notify_exec *x = nf->priv;
	struct notify_exec_target *t;

	if (x == NULL)
		return;
	spawn_free(x->spawn);
	audit_free(x->audit);
	while ((t = TAILQ_FIRST(&x->targets)) != NULL)
		notify_exec_target_free(x, t);
	hashmap_clear(&x->by_key);
	notify_guard_free(x->guard); /* after spawn_free: saves the state */
	notify_exec_clear(x);
	free(x);
	nf->priv = NULL;
}

/*
 * Keep the audit log of runs (AUDIT_FILE) and the budget and breaker in
 * state_dir; load the earlier run's budget and breaker.
 */
static void
notify_exec_restore(struct notify_notifier *nf, const char *state_dir)
{
	struct notify_exec *x = nf->priv;
	char *path;

	if (x->audit == NULL) {
		path = xasprintf("%s/%s", state_dir, AUDIT_FILE);
		x->audit =
		    audit_new(path, notify_daemon_conf(nf)->audit_max_size);
		free(path);
	}
	notify_guard_restore(x->guard, state_dir);
}

/* Write the budget and breaker for `taskwatchctl hooks`. */
static void
notify_exec_guard_write(struct notify_notifier *nf, struct json_writer *w)
{
	notify_guard_write(((struct notify_exec *)nf->priv)->guard, w);
}

/* Close the breaker (`taskwatchctl hooks reset`). */
static int
notify_exec_guard_reset(struct notify_notifier *nf)
{
	return notify_guard_reset(((struct notify_exec *)nf->priv)->guard);
}

const struct notify_ops notify_exec_ops = {
	.type = "exec",
	.configure = notify_exec_configure,
	.deliver = notify_exec_deliver,
	.cancel = notify_exec_cancel,
	.restore = notify_exec_restore,
	.guard_write = notify_exec_guard_write,
	.guard_reset = notify_exec_guard_reset,
	.free = notify_exec_free,
};
