/*
 * The saved task table.  tasks.jsonl starts with a header line naming the
 * format, its version and the watches that have a baseline (with their API
 * and account, so a watch that now polls something else is not restored),
 * then holds one line per task: its watch, the task record as the event
 * document writes it, and what the diff needs to go on (when progress last
 * moved, whether stalled fired, its acknowledgement if any).  Readable with jq; written crash-safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "durable.h"
#include "durations.h"
#include "evt.h"
#include "json.h"
#include "log.h"
#include "monotime.h"
#include "provider.h"
#include "statefile.h"
#include "taskstate.h"
#include "util.h"
#include "xmalloc.h"

#define STATEFILE_KIND "taskwatch-tasks"
#define STATEFILE_TMP STATEFILE_NAME ".tmp"
#define STATEFILE_CHUNK (256 * 1024) /* bytes buffered per write */
#define STATEFILE_MAX_WARNINGS 10    /* bad lines logged one by one */

struct statefile {
	char *dir;
	char *path;
	durable_write_fn write_fn;
	unsigned failures; /* saves failed in a row */
};

/* A watch of the header that may be restored. */
struct statefile_watch {
	char *name;
	int ok;      /* still configured alike */
	char **keys; /* its scopes as configured now, when ok */
	size_t nkeys;
	int scoped; /* the header listed its scopes (else: all of them) */
	enum config_api api; /* when ok */
};

/* What a save is writing. */
struct statefile_out {
	struct durable d;
	struct buf chunk;
	int failed;
};

/* The saved table of state_dir; nothing is read or written yet. */
struct statefile *
statefile_new(const char *state_dir)
{
	struct statefile *sf = xcalloc(1, sizeof(*sf));

	sf->dir = xstrdup(state_dir);
	sf->path = xasprintf("%s/%s", state_dir, STATEFILE_NAME);
	return sf;
}

/* Free; NULL is a no-op. */
void
statefile_free(struct statefile *sf)
{
	if (sf == NULL)
		return;
	free(sf->dir);
	free(sf->path);
	free(sf);
}

/* Route the file's writes through fn; NULL: write(2). */
void
statefile_set_write_fn(struct statefile *sf, durable_write_fn fn)
{
	sf->write_fn = fn;
}

/* The file's path. */
const char *
statefile_path(const struct statefile *sf)
{
	return sf->path;
}

/* 0 while saves fail, 1 otherwise. */
int
statefile_ok(const struct statefile *sf)
{
	return sf->failures == 0;
}

/* Move the buffered lines to the file once there are enough of them. */
static void
statefile_flush(struct statefile_out *o, int force)
{
	if (o->failed || (!force && o->chunk.len < STATEFILE_CHUNK))
		return;
	if (o->chunk.len > 0 &&
	    durable_write(&o->d, o->chunk.data, o->chunk.len) == -1)
		o->failed = 1;
	buf_reset(&o->chunk);
}

/* Append one JSON line to the output. */
static void
statefile_line(struct statefile_out *o, struct json_writer *w)
{
	size_t n;
	const char *s = json_writer_str(w, &n);

	buf_add(&o->chunk, s, n);
	buf_putc(&o->chunk, '\n');
	statefile_flush(o, 0);
}

/* taskstate_foreach_extra callback: one line per task. */
static void
statefile_task_cb(const char *watch, const struct task *t,
    const struct taskstate_extra *x, void *arg)
{
	struct statefile_out *o = arg;
	struct json_writer *w;

	if (o->failed)
		return;
	w = json_writer_new();
	json_w_obj_open(w);
	json_w_kstr(w, "watch", watch);
	json_w_key(w, "task");
	evt_write_task(w, t);
	if (t->scope != NULL)
		json_w_kstr(w, "scope", t->scope);
	json_w_ktime(w, "progress_changed_at", x->progress_changed_at);
	json_w_kbool(w, "stalled", x->stalled);
	if (x->overdue)
		json_w_kbool(w, "overdue", 1);
	evt_write_ack(w, "ack", x->ack);
	json_w_obj_close(w);
	statefile_line(o, w);
	json_writer_free(w);
}

/* The scopes of a watch that have a baseline, as "scopes": [...]. */
static void
statefile_w_scopes(
    struct json_writer *w, const struct taskstate *ts, const char *watch)
{
	char *const *scopes;
	size_t i, n;

	scopes = taskstate_scopes(ts, watch, &n);
	json_w_key(w, "scopes");
	json_w_arr_open(w);
	for (i = 0; i < n; i++)
		json_w_str(w, scopes[i]);
	json_w_arr_close(w);
}

/*
 * The header line: version, time, the watches with a baseline and their
 * scopes, and the learned durations.
 */
static struct json_writer *
statefile_header_writer(
    const struct taskstate *ts, const struct config *conf, int64_t now_s)
{
	struct json_writer *w = json_writer_new();
	const struct config_watch *cw;
	char *durations;
	size_t i;

	json_w_obj_open(w);
	json_w_kint(w, "version", STATEFILE_VERSION);
	json_w_kstr(w, "kind", STATEFILE_KIND);
	json_w_ktime(w, "saved_at", now_s);
	json_w_kint(w, "tasks", (int64_t)taskstate_count(ts, NULL, -1));
	json_w_key(w, "watches");
	json_w_arr_open(w);
	for (i = 0; i < conf->nwatches; i++) {
		cw = &conf->watches[i];
		if (!taskstate_has_watch(ts, cw->name))
			continue;
		json_w_obj_open(w);
		json_w_kstr(w, "name", cw->name);
		json_w_kstr(w, "api", config_api_name(cw->api));
		json_w_kstr(w, "account", cw->account->name);
		json_w_kstr(w, "region", cw->account->region);
		json_w_kstr(w, "cloud", config_cloud_name(cw->account->cloud));
		json_w_kstr(w, "project",
		    cw->account->project_id ? cw->account->project_id : "");
		json_w_kint(
		    w, "tasks", (int64_t)taskstate_count(ts, cw->name, -1));
		statefile_w_scopes(w, ts, cw->name);
		json_w_obj_close(w);
	}
	json_w_arr_close(w);
	/* The learned durations: kept whatever watches come and go. */
	durations = durations_json(taskstate_durations(ts));
	json_w_key(w, "durations");
	json_w_raw(w, durations);
	free(durations);
	json_w_obj_close(w);
	return w;
}

/*
 * Write the table (see statefile.h): no logging, so that a child process
 * can run it; -1 with errno set and *what naming the step that failed.
 */
int
statefile_write(struct statefile *sf, const struct taskstate *ts,
    const struct config *conf, int64_t now_s, const char **what)
{
	struct statefile_out o;
	struct json_writer *w;
	const struct config_watch *cw;
	int dirfd, saved;
	size_t i;

	memset(&o, 0, sizeof(o));
	*what = "open";
	if ((dirfd = open(sf->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	*what = "create";
	if (durable_begin(&o.d, dirfd, STATEFILE_NAME, STATEFILE_TMP, 0640,
		sf->write_fn) == -1) {
		saved = errno;
		close(dirfd);
		errno = saved;
		return -1;
	}
	buf_init(&o.chunk, 0);

	w = statefile_header_writer(ts, conf, now_s);
	statefile_line(&o, w);
	json_writer_free(w);

	for (i = 0; i < conf->nwatches && !o.failed; i++) {
		cw = &conf->watches[i];
		if (taskstate_has_watch(ts, cw->name))
			taskstate_foreach_extra(
			    ts, cw->name, statefile_task_cb, &o);
	}
	statefile_flush(&o, 1);
	buf_free(&o.chunk);
	*what = "write";
	if (o.failed) {
		durable_abort(&o.d);
		saved = errno;
		close(dirfd);
		errno = saved;
		return -1;
	}
	*what = "commit";
	if (durable_commit(&o.d, 1) == -1) {
		saved = errno;
		close(dirfd);
		errno = saved;
		return -1;
	}
	close(dirfd);
	return 0;
}

/* A save ended: ok, or failed with why (see statefile.h). */
void
statefile_result(struct statefile *sf, int ok, const char *why)
{
	unsigned n;

	if (ok) {
		if (sf->failures > 0)
			log_info("saved the task table to %s again, after %u "
				 "failed tries",
			    sf->path, sf->failures);
		sf->failures = 0;
		return;
	}
	n = ++sf->failures;
	if (n == 1)
		log_warnx("cannot save the task table to %s (%s); the "
			  "previous one is kept, retrying",
		    sf->path, why);
	else if (log_repeat_due(n))
		log_warnx("still cannot save the task table to %s (%s), %u "
			  "tries in a row",
		    sf->path, why, n);
}

/* Save the tasks of the watches of conf that ts holds, stamped now_s. */
int
statefile_save(struct statefile *sf, const struct taskstate *ts,
    const struct config *conf, int64_t now_s)
{
	uint64_t start = monotime_ms();
	const char *what;
	char *why;

	if (statefile_write(sf, ts, conf, now_s, &what) == -1) {
		why = xasprintf("%s: %s", what, strerror(errno));
		statefile_result(sf, 0, why);
		free(why);
		return -1;
	}
	statefile_result(sf, 1, NULL);
	log_debug("saved %zu tasks to %s in %llu ms",
	    taskstate_count(ts, NULL, -1), sf->path,
	    (unsigned long long)(monotime_ms() - start));
	return 0;
}

/* What a load is reading. */
struct statefile_in {
	struct statefile *sf;
	struct taskstate *ts;
	const struct config *conf;
	struct statefile_watch *watches;
	size_t nwatches;
	size_t last; /* index of the last watch matched: lines come grouped */
	size_t line;
	size_t bad;
	long restored;
};

/* Report a bad line: the first few one by one. */
static void
statefile_bad(struct statefile_in *in, const char *why)
{
	if (++in->bad <= STATEFILE_MAX_WARNINGS)
		log_warnx(
		    "%s:%zu: %s; line skipped", in->sf->path, in->line, why);
}

/* The header's watch called name, or NULL. */
static struct statefile_watch *
statefile_find(struct statefile_in *in, const char *name)
{
	size_t i;

	if (in->last < in->nwatches &&
	    strcmp(in->watches[in->last].name, name) == 0)
		return &in->watches[in->last];
	for (i = 0; i < in->nwatches; i++) {
		if (strcmp(in->watches[i].name, name) == 0) {
			in->last = i;
			return &in->watches[i];
		}
	}
	return NULL;
}

/*
 * A watch of the header, v, is configured alike as cw: restore it with
 * the baselines of its scopes that are still configured.  A header that
 * lists no scopes (an older daemon's) had all of them baselined.
 */
static void
statefile_restore_watch(struct statefile_in *in, struct statefile_watch *sw,
    const struct config_watch *cw, const struct json *v)
{
	const struct json *scopes = json_get(v, "scopes");
	const char *key;
	size_t i, j;

	sw->ok = 1;
	sw->api = cw->api;
	sw->keys = provider_scope_keys(provider_find(cw->api), cw, &sw->nkeys);
	sw->scoped = scopes != NULL;
	/*
	 * clusters: all: the saved scopes are the clusters discovered
	 * before; they stay until a discovery finds them gone.
	 */
	for (j = 0; cw->clusters_all && j < json_len(scopes); j++) {
		if ((key = json_str(json_at(scopes, j))) == NULL)
			continue;
		sw->keys =
		    xreallocarray(sw->keys, sw->nkeys + 1, sizeof(*sw->keys));
		sw->keys[sw->nkeys++] = xstrdup(key);
	}
	taskstate_restore_watch(in->ts, sw->name);
	for (i = 0; i < sw->nkeys; i++) {
		for (j = 0; scopes != NULL && j < json_len(scopes); j++)
			if ((key = json_str(json_at(scopes, j))) != NULL &&
			    strcmp(key, sw->keys[i]) == 0)
				break;
		if (scopes == NULL || j < json_len(scopes))
			taskstate_add_scope(in->ts, sw->name, sw->keys[i]);
	}
}

/*
 * Restore the learned durations of the header's "durations" (an older
 * daemon's file has none); unreadable ones are logged and learned again.
 */
static void
statefile_durations(struct statefile_in *in, const struct json *v)
{
	struct durations *d;
	const char *text;
	char *cause = NULL;
	size_t len;

	if (v == NULL)
		return;
	text = json_source(v, &len);
	if (json_type(v) != JSON_OBJECT || text == NULL ||
	    (d = durations_from_json(text, len, 0, &cause)) == NULL) {
		log_warnx("%s:1: the learned task durations cannot be read "
			  "(%s); they are learned again",
		    in->sf->path, cause != NULL ? cause : "not an object");
		free(cause);
		return;
	}
	log_info("restored the learned durations of %zu task kinds",
	    durations_count(d));
	taskstate_set_durations(in->ts, d);
}

/*
 * Read the header: -1 if the file is not a task table of a version this
 * daemon knows (logged), else note the watches that may be restored.
 */
static int
statefile_header(struct statefile_in *in, const char *text, size_t len)
{
	const struct json *ws, *v;
	const struct config_watch *cw;
	struct json *j;
	const char *name, *api, *account, *region, *cloud, *project;
	char *cause = NULL;
	int64_t version;
	size_t i;

	if ((j = json_parse(text, len, &cause)) == NULL) {
		log_warnx("%s:1: not a task table header (%s); the saved task "
			  "table is ignored",
		    in->sf->path, cause);
		free(cause);
		return -1;
	}
	name = json_get_str(j, "kind");
	if (name == NULL || strcmp(name, STATEFILE_KIND) != 0 ||
	    json_int(json_get(j, "version"), 0, &version) == -1) {
		log_warnx("%s:1: not a task table header; the saved task "
			  "table is ignored",
		    in->sf->path);
		json_free(j);
		return -1;
	}
	if (version != STATEFILE_VERSION) {
		log_warnx("%s:1: task table version %lld, this daemon reads "
			  "version %d; the saved task table is ignored",
		    in->sf->path, (long long)version, STATEFILE_VERSION);
		json_free(j);
		return -1;
	}
	statefile_durations(in, json_get(j, "durations"));
	ws = json_get(j, "watches");
	in->watches = xcalloc(json_len(ws) + 1, sizeof(*in->watches));
	for (i = 0; i < json_len(ws); i++) {
		v = json_at(ws, i);
		if ((name = json_get_str(v, "name")) == NULL)
			continue;
		api = json_get_str(v, "api");
		account = json_get_str(v, "account");
		region = json_get_str(v, "region");
		cloud = json_get_str(v, "cloud");
		project = json_get_str(v, "project");
		in->watches[in->nwatches].name = xstrdup(name);
		cw = config_find_watch(in->conf, name);
		if (cw == NULL)
			log_info("watch %s: saved tasks dropped: the watch is "
				 "no longer configured",
			    name);
		else if (api == NULL || account == NULL ||
		    strcmp(api, config_api_name(cw->api)) != 0 ||
		    strcmp(account, cw->account->name) != 0 ||
		    (region != NULL &&
			strcmp(region, cw->account->region) != 0) ||
		    (cloud != NULL &&
			strcmp(cloud, config_cloud_name(cw->account->cloud)) !=
			    0) ||
		    (project != NULL &&
			strcmp(project,
			    cw->account->project_id ? cw->account->project_id
						    : "") != 0))
			log_info("watch %s: saved tasks dropped: it now polls "
				 "another API, account, cloud, region or "
				 "project",
			    name);
		else
			statefile_restore_watch(
			    in, &in->watches[in->nwatches], cw, v);
		in->nwatches++;
	}
	json_free(j);
	return 0;
}

/*
 * The scope a saved task was listed in.  An older daemon's line has none:
 * a task of a per-cluster listing was listed in its cluster's scope.
 */
static void
statefile_task_scope(
    const struct statefile_watch *sw, struct task *t, const char *scope)
{
	size_t i;

	if (scope != NULL) {
		t->scope = xstrdup(scope);
		return;
	}
	for (i = 0; !sw->scoped && t->cluster_id != NULL && i < sw->nkeys; i++)
		if (strcmp(sw->keys[i], t->cluster_id) == 0)
			t->scope = xstrdup(t->cluster_id);
}

/*
 * A dws.actions task saved by an older daemon is keyed by the action's id,
 * which the API may generate anew for every answer: key it by its run
 * (base action and submit time, as the provider does now) so that the
 * first poll finds it and sees what became of it.  One without a submit
 * time keeps its id, as the provider does.
 */
static void
statefile_task_rekey(const struct statefile_watch *sw, struct task *t)
{
	const struct provider *p;
	char *key;

	if (sw->api != CONFIG_API_DWS_ACTIONS)
		return;
	p = provider_find(sw->api);
	if ((key = task_run_key(
		 provider_base_type(p, t->type), t->started_at)) == NULL)
		return;
	free(t->id);
	t->id = key;
}

/* Read one task line into the table. */
static void
statefile_task(struct statefile_in *in, const char *text, size_t len)
{
	struct statefile_watch *sw;
	struct taskstate_extra x;
	struct evt_ack *ack;
	struct task t;
	struct json *j;
	const char *watch, *s;
	char *cause = NULL, *why;
	int b;

	if ((j = json_parse(text, len, &cause)) == NULL) {
		why = xasprintf("not JSON (%s)", cause);
		statefile_bad(in, why);
		free(why);
		free(cause);
		return;
	}
	if ((watch = json_get_str(j, "watch")) == NULL) {
		statefile_bad(in, "no watch");
		goto done;
	}
	if ((sw = statefile_find(in, watch)) == NULL) {
		statefile_bad(in, "a watch the header does not list");
		goto done;
	}
	if (!sw->ok)
		goto done;
	task_init(&t);
	if (evt_read_task(json_get(j, "task"), &t, &cause) == -1) {
		statefile_bad(in, cause);
		free(cause);
		goto done;
	}
	statefile_task_scope(sw, &t, json_get_str(j, "scope"));
	statefile_task_rekey(sw, &t);
	x.progress_changed_at = monotime_wall_ms() / 1000;
	s = json_get_str(j, "progress_changed_at");
	if (s != NULL && util_parse_time(s, 0, &x.progress_changed_at) == -1)
		x.progress_changed_at = monotime_wall_ms() / 1000;
	x.stalled = json_bool(json_get(j, "stalled"), &b) == 0 && b;
	x.overdue = json_bool(json_get(j, "overdue"), &b) == 0 && b;
	/* An older daemon's line has no ack; a bad one loses only the ack. */
	if (evt_read_ack(j, "ack", &ack, &cause) == -1) {
		log_warnx("%s:%zu: %s; the task is restored without it",
		    in->sf->path, in->line, cause);
		free(cause);
	}
	x.ack = ack;
	taskstate_restore(in->ts, watch, &t, &x);
	evt_ack_free(ack);
	task_clear(&t);
	in->restored++;
done:
	json_free(j);
}

/* Restore the saved table into ts (see statefile.h). */
long
statefile_load(
    struct statefile *sf, struct taskstate *ts, const struct config *conf)
{
	struct statefile_in in;
	struct statefile_watch *sw;
	char *line = NULL;
	size_t cap = 0, i, dropped;
	ssize_t n;
	FILE *fp;
	int ok = 1;

	if ((fp = fopen(sf->path, "re")) == NULL) {
		if (errno == ENOENT) {
			log_info("no saved task table in %s; every watch "
				 "starts from its first poll",
			    sf->dir);
			return 0;
		}
		log_warn("cannot read the saved task table %s", sf->path);
		return -1;
	}
	memset(&in, 0, sizeof(in));
	in.sf = sf;
	in.ts = ts;
	in.conf = conf;
	while ((n = getline(&line, &cap, fp)) != -1) {
		in.line++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (in.line == 1) {
			if (statefile_header(&in, line, (size_t)n) == -1) {
				ok = 0;
				break;
			}
			continue;
		}
		if (n == 0)
			continue;
		statefile_task(&in, line, (size_t)n);
	}
	if (ferror(fp))
		log_warn("%s: read error after line %zu", sf->path, in.line);
	fclose(fp);
	free(line);
	if (in.bad > STATEFILE_MAX_WARNINGS)
		log_warnx("%s: %zu more bad lines skipped", sf->path,
		    in.bad - STATEFILE_MAX_WARNINGS);
	if (ok && in.line > 0)
		log_info("restored %ld tasks of %zu watches from %s%s",
		    in.restored, taskstate_restored_count(ts), sf->path,
		    in.bad > 0 ? " (some lines skipped)" : "");
	for (i = 0; i < in.nwatches; i++) {
		sw = &in.watches[i];
		if (sw->ok &&
		    (dropped = taskstate_keep_scopes(
			 ts, sw->name, sw->keys, sw->nkeys)) > 0) {
			log_info("watch %s: %zu saved tasks dropped: their "
				 "scopes are no longer configured",
			    sw->name, dropped);
			in.restored -= (long)dropped;
		}
		provider_scope_keys_free(sw->keys, sw->nkeys);
		free(sw->name);
	}
	free(in.watches);
	return in.restored;
}
