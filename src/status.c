/*
 * The status endpoint on libevent's evhttp, served from the daemon's loop:
 * Prometheus metrics, a health check and two JSON views of the watches and
 * the task table.  Each request fills in a view of the daemon and answers
 * from memory at once.  Only GET and HEAD; bodies and headers are capped.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "config.h"
#include "durations.h"
#include "http.h"
#include "iam.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "notify.h"
#include "outbox.h"
#include "provider.h"
#include "ratelimit.h"
#include "replica.h"
#include "status.h"
#include "task.h"
#include "taskstate.h"
#include "util.h"
#include "watch.h"
#include "xmalloc.h"

#define STATUS_MAX_HEADERS 8192
#define STATUS_MAX_REQ_BODY 1024
#define STATUS_TIMEOUT_S 30
#define STATUS_MAX_BODY (256 * 1024 * 1024) /* one answer */

#define STATUS_TEXT "text/plain; charset=utf-8"
#define STATUS_PROM "text/plain; version=0.0.4; charset=utf-8"
#define STATUS_JSON "application/json"

struct status {
	struct event_base *base; /* borrowed */
	status_view_cb view_cb;
	void *view_arg;
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	char *addr; /* what sock serves; NULL when not listening */
	int port;
};

/* A status endpoint on base that listens nowhere yet. */
struct status *
status_new(struct event_base *base, status_view_cb view_cb, void *arg)
{
	struct status *s = xcalloc(1, sizeof(*s));

	s->base = base;
	s->view_cb = view_cb;
	s->view_arg = arg;
	return s;
}

/* Close the listener and free; NULL is a no-op. */
void
status_free(struct status *s)
{
	if (s == NULL)
		return;
	if (s->http != NULL)
		evhttp_free(s->http);
	free(s->addr);
	free(s);
}

/* The port bound, or 0 when not listening. */
int
status_port(const struct status *s)
{
	return s->sock != NULL ? s->port : 0;
}

/* Split "host:port" or "[v6]:port" into a new host string and a port. */
static int
status_split(const char *addr, char **host, unsigned *port)
{
	const char *p, *cause;
	long long pn;

	if (*addr == '[') {
		if ((p = strchr(addr, ']')) == NULL || p[1] != ':')
			return -1;
		*host = xstrndup(addr + 1, (size_t)(p - addr - 1));
		p += 2;
	} else {
		if ((p = strrchr(addr, ':')) == NULL || p == addr)
			return -1;
		*host = xstrndup(addr, (size_t)(p - addr));
		p++;
	}
	if (util_strtonum(p, 0, 65535, &pn, &cause) == -1) {
		free(*host);
		*host = NULL;
		return -1;
	}
	*port = (unsigned)pn;
	return 0;
}

/* Bind addr; NULL with *cause and *err (errno) set on failure. */
static struct evhttp_bound_socket *
status_bind(struct status *s, const char *addr, char **cause, int *err)
{
	struct evhttp_bound_socket *bs;
	unsigned port;
	char *host;

	if (status_split(addr, &host, &port) == -1) {
		*cause = xasprintf("invalid listen address %s", addr);
		*err = EINVAL;
		return NULL;
	}
	errno = 0;
	bs = evhttp_bind_socket_with_handle(s->http, host, (ev_uint16_t)port);
	*err = errno;
	if (bs == NULL)
		*cause = xasprintf("cannot listen on %s: %s", addr,
		    errno != 0 ? strerror(errno) : "bind failed");
	free(host);
	return bs;
}

/* The port a bound socket has. */
static int
status_bound_port(struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
		&len) == -1)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

static void status_request_cb(struct evhttp_request *req, void *arg);

/* The evhttp server, made on first use. */
static void
status_http(struct status *s)
{
	if (s->http != NULL)
		return;
	if ((s->http = evhttp_new(s->base)) == NULL)
		fatalx("evhttp_new failed");
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(s->http, STATUS_MAX_HEADERS);
	evhttp_set_max_body_size(s->http, STATUS_MAX_REQ_BODY);
	evhttp_set_timeout(s->http, STATUS_TIMEOUT_S);
	evhttp_set_gencb(s->http, status_request_cb, s);
}

/* Listen on addr; "" stops (see status.h). */
int
status_listen(struct status *s, const char *addr, char **cause)
{
	struct evhttp_bound_socket *bs;
	int err = 0;

	*cause = NULL;
	if (addr == NULL)
		addr = "";
	if (s->addr != NULL && strcmp(s->addr, addr) == 0)
		return 0;
	if (*addr == '\0') {
		if (s->sock != NULL) {
			evhttp_del_accept_socket(s->http, s->sock);
			log_info("status endpoint on %s closed", s->addr);
		}
		s->sock = NULL;
		free(s->addr);
		s->addr = NULL;
		s->port = 0;
		return 0;
	}
	status_http(s);
	if ((bs = status_bind(s, addr, cause, &err)) == NULL &&
	    s->sock != NULL && err == EADDRINUSE) {
		/* Same port, other spelling: let go of the old one first. */
		free(*cause);
		*cause = NULL;
		evhttp_del_accept_socket(s->http, s->sock);
		s->sock = NULL;
		if ((bs = status_bind(s, addr, cause, &err)) == NULL) {
			char *again = NULL;

			/* Back to the old address, if it can be had. */
			s->sock = status_bind(s, s->addr, &again, &err);
			free(again);
			if (s->sock == NULL) {
				log_warnx(
				    "status endpoint on %s lost", s->addr);
				free(s->addr);
				s->addr = NULL;
				s->port = 0;
			}
		}
	}
	if (bs == NULL)
		return -1;
	if (s->sock != NULL)
		evhttp_del_accept_socket(s->http, s->sock);
	s->sock = bs;
	free(s->addr);
	s->addr = xstrdup(addr);
	s->port = status_bound_port(bs);
	if (strlen(addr) > 2 && strcmp(addr + strlen(addr) - 2, ":0") == 0)
		log_info("status endpoint on %s (port %d)", addr, s->port);
	else
		log_info("status endpoint on %s", addr);
	return 0;
}

/* Gauges of the task table, the watches and the notifiers at scrape time. */
static void
status_outbox_cb(const struct notify_stats *st, void *arg)
{
	struct metrics *m = arg;
	double have;

	/* A draining notifier may share its name with a new one: add up. */
	have =
	    metrics_get(m, METRICS_OUTBOX_PENDING, "notifier", st->name, NULL);
	metrics_set(m, METRICS_OUTBOX_PENDING, have + (double)st->pending,
	    "notifier", st->name, NULL);
}

/* Dead letters and the oldest pending entry of each outbox box. */
static void
status_box_cb(const struct outbox_box_stats *st, void *arg)
{
	struct metrics *m = metrics_global();
	const int64_t *now = arg;
	int64_t age = 0;

	metrics_set(m, METRICS_DEAD_LETTERS, (double)st->dead, "notifier",
	    st->name, NULL);
	if (st->pending > 0 && *now > st->oldest_pending_at)
		age = *now - st->oldest_pending_at;
	metrics_set(
	    m, METRICS_OUTBOX_OLDEST, (double)age, "notifier", st->name, NULL);
}

/* 1 while an account's requests are held. */
static void
status_paused_cb(const char *account, enum ratelimit_pause_kind kind,
    uint64_t paused_ms, void *arg)
{
	metrics_set(metrics_global(), METRICS_ACCOUNT_PAUSED,
	    paused_ms > 0 && kind == RATELIMIT_PAUSE_AUTH ? 1 : 0, "account",
	    account, "reason", "auth", NULL);
	metrics_set(metrics_global(), METRICS_ACCOUNT_PAUSED,
	    paused_ms > 0 && kind == RATELIMIT_PAUSE_THROTTLE ? 1 : 0,
	    "account", account, "reason", "throttled", NULL);
}

/* When an account's cached IAM token expires. */
static void
status_token_cb(const char *account, int64_t expires_at_s, void *arg)
{
	metrics_set(metrics_global(), METRICS_IAM_TOKEN_EXPIRY,
	    (double)expires_at_s, "account", account, NULL);
}

/* The Prometheus text of every metric; always 200. */
int
status_metrics(const struct status_view *v, struct buf *b)
{
	struct metrics *m = metrics_global();
	const struct config_watch *wc;
	const struct watch_stats *st;
	uint64_t requests, reused;
	int64_t now = monotime_wall_ms() / 1000;
	size_t i;
	int s;

	metrics_reset(m, METRICS_TASKS);
	metrics_reset(m, METRICS_WATCH_FAILED);
	metrics_reset(m, METRICS_WATCH_FLAPPING);
	metrics_reset(m, METRICS_WATCH_UNREAD);
	metrics_reset(m, METRICS_DEAD_LETTERS);
	metrics_reset(m, METRICS_OUTBOX_OLDEST);
	metrics_reset(m, METRICS_ACCOUNT_PAUSED);
	metrics_reset(m, METRICS_IAM_TOKEN_EXPIRY);
	if (v->ob != NULL)
		outbox_foreach_box(v->ob, status_box_cb, &now);
	if (v->limits != NULL)
		ratelimit_set_foreach_paused(
		    v->limits, monotime_ms(), status_paused_cb, NULL);
	if (v->iam != NULL)
		iam_foreach_token(v->iam, status_token_cb, NULL);
	metrics_reset(m, METRICS_WATCH_UP);
	metrics_reset(m, METRICS_LAST_SUCCESS);
	metrics_reset(m, METRICS_OUTBOX_PENDING);
	for (i = 0; i < v->nwatches; i++) {
		if (v->watches[i] == NULL)
			continue;
		wc = watch_config(v->watches[i]);
		st = watch_get_stats(v->watches[i]);
		for (s = 0; s < TASK_STATE_COUNT && v->ts != NULL; s++)
			metrics_set(m, METRICS_TASKS,
			    (double)taskstate_count(v->ts, wc->name, s),
			    "watch", wc->name, "state",
			    task_state_name((enum task_state)s), NULL);
		metrics_set(m, METRICS_WATCH_UP,
		    st->consecutive_failures == 0 ? 1 : 0, "watch", wc->name,
		    NULL);
		metrics_set(m, METRICS_WATCH_FAILED, st->failed ? 1 : 0,
		    "watch", wc->name, NULL);
		metrics_set(m, METRICS_WATCH_FLAPPING,
		    st->flapping_since_s != 0 ? 1 : 0, "watch", wc->name, NULL);
		metrics_set(m, METRICS_WATCH_UNREAD, (double)st->unread_scopes,
		    "watch", wc->name, NULL);
		metrics_set(m, METRICS_LAST_SUCCESS,
		    (double)(st->last_success_ms / 1000), "watch", wc->name,
		    NULL);
	}
	if (v->notify != NULL)
		notify_foreach(v->notify, status_outbox_cb, m);
	if (v->http != NULL) {
		/* The client counts; the registry shows its totals. */
		http_stats(v->http, &requests, &reused);
		metrics_reset(m, METRICS_HTTP_REQUESTS);
		metrics_reset(m, METRICS_HTTP_REUSED);
		metrics_add(m, METRICS_HTTP_REQUESTS, (double)requests, NULL);
		metrics_add(m, METRICS_HTTP_REUSED, (double)reused, NULL);
	}
	if (metrics_render(m, b) == -1)
		return 500;
	return 200;
}

/* "ok" while the loop answers: evhttp runs on it, so a hung loop is silent. */
int
status_livez(const struct status_view *v, struct buf *b)
{
	buf_puts(b, "ok\n");
	return 200;
}

/* A line of /healthz per box holding dead letters. */
static void
status_dead_line_cb(const struct outbox_box_stats *st, void *arg)
{
	struct buf *b = arg;

	if (st->dead > 0)
		buf_printf(b, "notifier %s: %zu dead letter%s\n", st->name,
		    st->dead, st->dead == 1 ? "" : "s");
}

/* "ok", "degraded" or the reasons to worry, one per line. */
int
status_healthz(const struct status_view *v, struct buf *b)
{
	const struct watch_stats *st;
	size_t i, bad = 0;
	struct buf dead;

	if (v->stopping) {
		buf_puts(b, "stopping\n");
		bad++;
	}
	if (v->problem != NULL) {
		buf_printf(b, "%s\n", v->problem);
		bad++;
	}
	for (i = 0; i < v->nwatches; i++) {
		if (v->watches[i] == NULL)
			continue;
		st = watch_get_stats(v->watches[i]);
		if (!st->failed)
			continue;
		buf_printf(b, "watch %s failed: %s\n",
		    watch_config(v->watches[i])->name,
		    st->last_error[0] != '\0' ? st->last_error
					      : "polls failing");
		bad++;
	}
	/*
	 * Dead letters, scopes a watch cannot read and clusters it cannot
	 * list again need a look, but the daemon itself works.
	 */
	buf_init(&dead, 0);
	for (i = 0; i < v->nwatches; i++) {
		if (v->watches[i] == NULL)
			continue;
		st = watch_get_stats(v->watches[i]);
		if (st->failed)
			continue;
		if (st->unread_scopes > 0)
			buf_printf(&dead,
			    "watch %s: %zu scope%s not read: %s\n",
			    watch_config(v->watches[i])->name,
			    st->unread_scopes,
			    st->unread_scopes == 1 ? "" : "s",
			    st->unread_error);
		if (st->discover_failures > 0)
			buf_printf(&dead,
			    "watch %s: %s (%u in a row); polling the %zu "
			    "clusters found before\n",
			    watch_config(v->watches[i])->name,
			    st->discover_error, st->discover_failures,
			    st->clusters);
	}
	if (v->ob != NULL)
		outbox_foreach_box(v->ob, status_dead_line_cb, &dead);
	if (bad == 0)
		buf_puts(b, dead.len > 0 ? "degraded\n" : "ok\n");
	if (dead.len > 0)
		buf_add(b, buf_str(&dead), dead.len);
	buf_free(&dead);
	return bad > 0 ? 503 : 200;
}

/* Copy a writer's document into b; 500 if it does not fit. */
static int
status_json_out(struct json_writer *jw, struct buf *b, int code)
{
	const char *s;
	size_t len;

	s = json_writer_str(jw, &len);
	if (buf_add(b, s, len) == -1 || buf_putc(b, '\n') == -1)
		code = 500;
	json_writer_free(jw);
	return code;
}

/* A JSON {"error": msg} body. */
static int
status_json_error(struct buf *b, int code, const char *msg)
{
	struct json_writer *jw = json_writer_new();

	json_w_obj_open(jw);
	json_w_kstr(jw, "error", msg);
	json_w_obj_close(jw);
	return status_json_out(jw, b, code);
}

/* Write an RFC 3339 time, or null for 0. */
static void
status_w_time(struct json_writer *jw, const char *key, int64_t secs)
{
	json_w_key(jw, key);
	if (secs <= 0) {
		json_w_null(jw);
		return;
	}
	json_w_time(jw, secs);
}

/* Dead letters per notifier as members of an object. */
static void
status_w_dead_cb(const struct outbox_box_stats *st, void *arg)
{
	json_w_kint(arg, st->name, (int64_t)st->dead);
}

/* "shard": {index, count}, or null when unsharded. */
static void
status_w_shard(struct json_writer *jw, const struct shard *s)
{
	json_w_key(jw, "shard");
	if (s->count == 0) {
		json_w_null(jw);
		return;
	}
	json_w_obj_open(jw);
	json_w_kint(jw, "index", s->index);
	json_w_kint(jw, "count", s->count);
	json_w_obj_close(jw);
}

/*
 * "ha": the replica's state, shard, instance id, the etcd endpoint that
 * last answered, what the gate holds, and since when; absent without HA.
 */
static void
status_w_ha(struct json_writer *jw, const struct replica *r)
{
	struct replica_info ri;

	if (r == NULL)
		return;
	replica_info(r, &ri);
	json_w_key(jw, "ha");
	json_w_obj_open(jw);
	json_w_kstr(jw, "state", ri.state);
	json_w_kint(jw, "shard", ri.shard);
	json_w_kstr(jw, "id", ri.id);
	json_w_kstr(jw, "etcd", ri.etcd);
	json_w_kint(jw, "held", (int64_t)ri.held);
	status_w_time(jw, "since", ri.since);
	json_w_obj_close(jw);
}

/* The daemon: version, start, last reload, dead letters, HA. */
int
status_status(const struct status_view *v, struct buf *b)
{
	struct json_writer *jw = json_writer_new();

	json_w_obj_open(jw);
	json_w_kstr(jw, "version", TASKWATCH_VERSION);
	status_w_time(jw, "started_at", v->started_at);
	status_w_shard(jw, &v->shard);
	status_w_ha(jw, v->replica);
	json_w_key(jw, "last_reload");
	json_w_obj_open(jw);
	json_w_kbool(jw, "ok", v->reload_ok);
	status_w_time(jw, "at", v->reload_at);
	status_w_time(jw, "config_loaded_at", v->loaded_at);
	json_w_kstr(jw, "error", v->reload_ok ? NULL : v->reload_error);
	json_w_obj_close(jw);
	json_w_key(jw, "dead_letters");
	json_w_obj_open(jw);
	if (v->ob != NULL)
		outbox_foreach_box(v->ob, status_w_dead_cb, jw);
	json_w_obj_close(jw);
	json_w_obj_close(jw);
	return status_json_out(jw, b, 200);
}

/* The dead letters as a JSON array, oldest first per notifier. */
int
status_dead(const struct status_view *v, const char *notifier, struct buf *b)
{
	struct json_writer *jw = json_writer_new();
	struct outbox_dead_letter *dl = NULL;
	size_t i, n = 0;

	if (v->ob != NULL)
		dl = outbox_dead_list(
		    v->ob, util_empty(notifier) ? NULL : notifier, &n);
	json_w_arr_open(jw);
	for (i = 0; i < n; i++) {
		json_w_obj_open(jw);
		json_w_kstr(jw, "id", dl[i].id);
		json_w_kstr(jw, "notifier", dl[i].notifier);
		json_w_kstr(jw, "event_id", dl[i].event_id);
		status_w_time(jw, "dead_at", dl[i].dead_at);
		json_w_kint(jw, "attempts", dl[i].attempts);
		json_w_kstr(jw, "reason", dl[i].reason);
		json_w_key(jw, "http_status");
		if (dl[i].http_status > 0)
			json_w_int(jw, dl[i].http_status);
		else
			json_w_null(jw);
		json_w_kstr(jw, "response", dl[i].response);
		json_w_obj_close(jw);
	}
	json_w_arr_close(jw);
	outbox_dead_list_free(dl, n);
	return status_json_out(jw, b, 200);
}

/*
 * A watch's poll units on this shard: "units" (the names it polls) and
 * "units_other" (how many other shards poll), with the shard.
 */
static void
status_w_units(
    struct json_writer *jw, const struct status_view *v, const struct watch *w)
{
	char **units;
	size_t i, n, others;

	status_w_shard(jw, &v->shard);
	units = watch_units(w, &n, &others);
	json_w_key(jw, "units");
	json_w_arr_open(jw);
	for (i = 0; i < n; i++)
		json_w_str(jw, units[i]);
	json_w_arr_close(jw);
	json_w_kint(jw, "units_other", (int64_t)others);
	provider_scope_keys_free(units, n);
}

/* One watch as an object of /api/v1/watches. */
static void
status_w_watch(
    struct json_writer *jw, const struct status_view *v, const struct watch *w)
{
	const struct config_watch *wc = watch_config(w);
	const struct watch_stats *st = watch_get_stats(w);
	const char *reason;
	int64_t paused_ms;
	char dur[32];
	size_t i;

	util_format_duration(wc->interval_ms, dur, sizeof(dur));
	json_w_obj_open(jw);
	json_w_kstr(jw, "name", wc->name);
	json_w_kstr(jw, "api", config_api_name(wc->api));
	json_w_kstr(jw, "account", wc->account->name);
	json_w_kstr(jw, "region", wc->account->region);
	json_w_kstr(jw, "interval", dur);
	json_w_kint(jw, "interval_ms", (int64_t)wc->interval_ms);
	json_w_kbool(jw, "up", st->consecutive_failures == 0);
	json_w_kbool(jw, "failed", st->failed);
	json_w_kbool(jw, "flapping", st->flapping_since_s != 0);
	status_w_time(jw, "flapping_since", st->flapping_since_s);
	json_w_kbool(jw, "polling", watch_busy(w));
	json_w_kint(jw, "polls_ok", (int64_t)st->polls_ok);
	json_w_kint(jw, "polls_failed", (int64_t)st->polls_failed);
	json_w_kint(jw, "consecutive_failures", st->consecutive_failures);
	status_w_time(jw, "last_success", st->last_success_ms / 1000);
	status_w_time(jw, "next_poll", (watch_next_poll_ms(w) + 999) / 1000);
	json_w_kint(jw, "last_poll_duration_ms", (int64_t)st->last_duration_ms);
	json_w_kstr(jw, "last_error",
	    st->last_error[0] != '\0' ? st->last_error : NULL);
	/* Its account's pause (authentication hold, throttling). */
	watch_paused(w, &paused_ms, &reason);
	status_w_time(
	    jw, "paused_until", paused_ms > 0 ? (paused_ms + 999) / 1000 : 0);
	json_w_kstr(jw, "paused_reason", reason);
	json_w_kint(jw, "tasks",
	    v->ts != NULL ? (int64_t)taskstate_count(v->ts, wc->name, -1) : 0);
	/* The clusters polled: listed, or discovered (clusters: all). */
	json_w_key(jw, "clusters");
	if (wc->clusters.n > 0 || wc->clusters_all) {
		json_w_arr_open(jw);
		for (i = 0; i < wc->clusters.n; i++)
			json_w_str(jw, wc->clusters.v[i]);
		json_w_arr_close(jw);
	} else
		json_w_null(jw);
	json_w_kstr(jw, "discover_error",
	    st->discover_failures > 0 ? st->discover_error : NULL);
	status_w_units(jw, v, w);
	json_w_obj_close(jw);
}

/* The JSON array of the watches, in config order. */
int
status_watches(const struct status_view *v, struct buf *b)
{
	struct json_writer *jw = json_writer_new();
	size_t i;

	json_w_arr_open(jw);
	for (i = 0; i < v->nwatches; i++)
		if (v->watches[i] != NULL)
			status_w_watch(jw, v, v->watches[i]);
	json_w_arr_close(jw);
	return status_json_out(jw, b, 200);
}

/* One task found by status_tasks. */
struct status_task {
	const char *watch; /* borrowed from the table */
	const struct task *t;
	const struct evt_ack *ack; /* borrowed; NULL: none */
	int overdue;               /* overdue fired for this run */
};

/* What status_tasks_cb collects. */
struct status_tasks {
	int state; /* -1: any */
	struct status_task *v;
	size_t n;
	size_t cap;
};

/* taskstate_foreach_extra callback: keep the tasks in the wanted state. */
static void
status_tasks_cb(const char *watch, const struct task *t,
    const struct taskstate_extra *x, void *arg)
{
	struct status_tasks *c = arg;

	if (c->state >= 0 && (int)t->state != c->state)
		return;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = xreallocarray(c->v, c->cap, sizeof(*c->v));
	}
	c->v[c->n].watch = watch;
	c->v[c->n].t = t;
	c->v[c->n].ack = x->ack;
	c->v[c->n].overdue = x->overdue;
	c->n++;
}

/* NULL-safe strcmp. */
static int
status_strcmp(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

/* qsort: by watch, newest start first, then cluster and id. */
static int
status_task_cmp(const void *a, const void *b)
{
	const struct status_task *x = a, *y = b;
	int c;

	if ((c = strcmp(x->watch, y->watch)) != 0)
		return c;
	if (x->t->started_at != y->t->started_at)
		return x->t->started_at > y->t->started_at ? -1 : 1;
	if ((c = status_strcmp(x->t->cluster_id, y->t->cluster_id)) != 0)
		return c;
	return status_strcmp(x->t->id, y->t->id);
}

/* The config of the running watch called name, or NULL. */
static const struct config_watch *
status_find_watch(const struct status_view *v, const char *name)
{
	const struct config_watch *wc;
	size_t i;

	for (i = 0; i < v->nwatches; i++) {
		if (v->watches[i] == NULL)
			continue;
		wc = watch_config(v->watches[i]);
		if (strcmp(wc->name, name) == 0)
			return wc;
	}
	return NULL;
}

/*
 * A running task's "expected": when it should end (its start plus the
 * learned median), the learned p50 and p95, how far past p95 it is, and
 * whether overdue fired; null when not running or nothing is learned.
 */
static void
status_w_expected(struct json_writer *jw, const struct status_view *v,
    const struct config_watch *wc, const struct status_task *st, int64_t now)
{
	struct taskstate_expect x;
	const struct task *t = st->t;
	int64_t past;

	json_w_key(jw, "expected");
	if (wc == NULL || v->ts == NULL || t->state != TASK_RUNNING ||
	    t->started_at == TASK_TIME_NONE) {
		json_w_null(jw);
		return;
	}
	taskstate_expect(v->ts, wc->account->name, config_api_name(wc->api), t,
	    wc->overdue_min_samples, &x);
	if (x.count == 0) {
		json_w_null(jw);
		return;
	}
	past = now - t->started_at - x.p95_s;
	json_w_obj_open(jw);
	json_w_ktime(jw, "end", t->started_at + x.p50_s);
	json_w_kint(jw, "p50_seconds", x.p50_s);
	json_w_kint(jw, "p95_seconds", x.p95_s);
	json_w_kint(jw, "past_p95_seconds", past > 0 ? past : 0);
	json_w_kint(jw, "samples", (int64_t)x.count);
	json_w_kbool(jw, "per_cluster", x.per_cluster);
	json_w_kbool(jw, "overdue", st->overdue);
	json_w_obj_close(jw);
}

/* The JSON array of tasks, as --once prints them. */
int
status_tasks(const struct status_view *v, const char *watch, const char *state,
    struct buf *b)
{
	struct status_tasks c;
	struct json_writer *jw;
	const struct config_watch *wc = NULL;
	int64_t now = monotime_wall_ms() / 1000;
	char *msg;
	size_t i;
	int code;

	memset(&c, 0, sizeof(c));
	c.state = -1;
	if (!util_empty(state) && (c.state = task_state_from_name(state)) < 0) {
		msg = xasprintf("unknown state %s; one of PENDING, RUNNING, "
				"ROLLING_BACK, SUCCEEDED, FAILED, PARTIAL, "
				"ROLLED_BACK, CANCELLED, UNKNOWN",
		    state);
		code = status_json_error(b, 400, msg);
		free(msg);
		return code;
	}
	if (!util_empty(watch) && status_find_watch(v, watch) == NULL) {
		msg = xasprintf("no watch named %s", watch);
		code = status_json_error(b, 404, msg);
		free(msg);
		return code;
	}
	if (v->ts != NULL)
		taskstate_foreach_extra(v->ts, util_empty(watch) ? NULL : watch,
		    status_tasks_cb, &c);
	if (c.n > 1)
		qsort(c.v, c.n, sizeof(*c.v), status_task_cmp);
	jw = json_writer_new();
	json_w_arr_open(jw);
	for (i = 0; i < c.n; i++) {
		if (wc == NULL || strcmp(wc->name, c.v[i].watch) != 0)
			wc = status_find_watch(v, c.v[i].watch);
		json_w_obj_open(jw);
		json_w_kstr(jw, "watch", c.v[i].watch);
		json_w_kstr(jw, "api", wc ? config_api_name(wc->api) : NULL);
		json_w_kstr(jw, "account", wc ? wc->account->name : NULL);
		json_w_kstr(jw, "region", wc ? wc->account->region : NULL);
		json_w_key(jw, "task");
		evt_write_task(jw, c.v[i].t);
		evt_write_ack(jw, "ack", c.v[i].ack);
		status_w_expected(jw, v, wc, &c.v[i], now);
		json_w_obj_close(jw);
	}
	json_w_arr_close(jw);
	free(c.v);
	return status_json_out(jw, b, 200);
}

/* What status_durations_cb writes: the filter and the writer. */
struct status_durations {
	struct json_writer *jw;
	const char *api;     /* NULL: any */
	const char *account; /* NULL: any */
};

/* durations_foreach callback: one learned key as an object. */
static void
status_durations_cb(
    const char *key, const struct durations_stats *st, void *arg)
{
	struct status_durations *c = arg;
	const char *f[4];
	char *buf;
	size_t n = taskstate_key_split(key, &buf, f);

	if (n >= 3 && (c->account == NULL || strcmp(f[0], c->account) == 0) &&
	    (c->api == NULL || strcmp(f[1], c->api) == 0)) {
		json_w_obj_open(c->jw);
		json_w_kstr(c->jw, "account", f[0]);
		json_w_kstr(c->jw, "api", f[1]);
		json_w_kstr(c->jw, "type", f[2]);
		json_w_kstr(c->jw, "cluster_id", n > 3 ? f[3] : NULL);
		json_w_kint(c->jw, "count", (int64_t)st->count);
		json_w_kint(c->jw, "p50_seconds", st->p50_s);
		json_w_kint(c->jw, "p95_seconds", st->p95_s);
		json_w_kint(c->jw, "max_seconds", st->max_s);
		json_w_obj_close(c->jw);
	}
	free(buf);
}

/*
 * The learned durations (taskstate.h) as a JSON array, most recently
 * used first: all, an API's (api=), or those a watch uses (watch=: its
 * account and API).
 */
int
status_durations(const struct status_view *v, const char *watch,
    const char *api, struct buf *b)
{
	struct status_durations c;
	const struct config_watch *wc = NULL;
	char *msg;
	int code;

	memset(&c, 0, sizeof(c));
	if (!util_empty(api) && config_api_from_name(api) < 0) {
		msg = xasprintf("unknown api %s", api);
		code = status_json_error(b, 400, msg);
		free(msg);
		return code;
	}
	if (!util_empty(watch) && (wc = status_find_watch(v, watch)) == NULL) {
		msg = xasprintf("no watch named %s", watch);
		code = status_json_error(b, 404, msg);
		free(msg);
		return code;
	}
	c.api = !util_empty(api) ? api : NULL;
	if (wc != NULL) {
		c.account = wc->account->name;
		if (c.api != NULL &&
		    strcmp(c.api, config_api_name(wc->api)) != 0)
			c.account = ""; /* nothing matches both */
		c.api = config_api_name(wc->api);
	}
	c.jw = json_writer_new();
	json_w_arr_open(c.jw);
	if (v->ts != NULL)
		durations_foreach(
		    taskstate_durations(v->ts), status_durations_cb, &c);
	json_w_arr_close(c.jw);
	return status_json_out(c.jw, b, 200);
}

/* The reason phrase of the codes used here. */
static const char *
status_reason(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 503:
		return "Service Unavailable";
	}
	return "Internal Server Error";
}

/*
 * /api/v1/dead (notifier=), /api/v1/tasks (watch=, state=) and
 * /api/v1/durations (watch=, api=): read the
 * query's parameters, then answer.
 */
static int
status_query(const struct status_view *v, const char *path, const char *query,
    struct buf *b)
{
	struct evkeyvalq q;
	int code;

	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) == -1)
		code = status_json_error(b, 400, "malformed query string");
	else if (strcmp(path, "/api/v1/dead") == 0)
		code = status_dead(v, evhttp_find_header(&q, "notifier"), b);
	else if (strcmp(path, "/api/v1/durations") == 0)
		code = status_durations(v, evhttp_find_header(&q, "watch"),
		    evhttp_find_header(&q, "api"), b);
	else
		code = status_tasks(v, evhttp_find_header(&q, "watch"),
		    evhttp_find_header(&q, "state"), b);
	evhttp_clear_headers(&q);
	return code;
}

/*
 * No Nagle on the client's connection: evhttp writes an answer in 16 KiB
 * pieces, and the last one would wait for a kept-alive client's delayed
 * ACK (40 ms a scrape).
 */
static void
status_nodelay(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	int on = 1;

	if (conn == NULL ||
	    (bev = evhttp_connection_get_bufferevent(conn)) == NULL ||
	    bufferevent_getfd(bev) < 0)
		return;
	setsockopt(
	    bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/* Answer one request. */
static void
status_request_cb(struct evhttp_request *req, void *arg)
{
	struct status *s = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *type = STATUS_TEXT;
	struct status_view v;
	struct evbuffer *out;
	struct buf b;
	int code;

	status_nodelay(req);
	memset(&v, 0, sizeof(v));
	s->view_cb(&v, s->view_arg);
	buf_init(&b, STATUS_MAX_BODY);
	if (path == NULL || *path == '\0')
		path = "/";
	if (strcmp(path, "/metrics") == 0) {
		code = status_metrics(&v, &b);
		type = STATUS_PROM;
	} else if (strcmp(path, "/livez") == 0)
		code = status_livez(&v, &b);
	else if (strcmp(path, "/healthz") == 0)
		code = status_healthz(&v, &b);
	else if (strcmp(path, "/api/v1/status") == 0) {
		code = status_status(&v, &b);
		type = STATUS_JSON;
	} else if (strcmp(path, "/api/v1/dead") == 0 ||
	    strcmp(path, "/api/v1/tasks") == 0 ||
	    strcmp(path, "/api/v1/durations") == 0) {
		code = status_query(&v, path, evhttp_uri_get_query(uri), &b);
		type = STATUS_JSON;
	} else if (strcmp(path, "/api/v1/watches") == 0) {
		code = status_watches(&v, &b);
		type = STATUS_JSON;
	} else if (strcmp(path, "/") == 0) {
		buf_puts(&b,
		    "taskwatchd " TASKWATCH_VERSION "\n/metrics\n/livez\n"
		    "/healthz\n/api/v1/status\n/api/v1/watches\n"
		    "/api/v1/tasks?watch=&state=\n/api/v1/dead?notifier=\n"
		    "/api/v1/durations?watch=&api=\n");
		code = 200;
	} else {
		buf_puts(&b, "not found\n");
		code = 404;
	}
	if (code == 500) {
		buf_reset(&b);
		buf_puts(&b, "response too large\n");
		type = STATUS_TEXT;
	}
	log_debug("status: %s %d", path, code);
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Content-Type", type);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	out = evbuffer_new();
	if (out == NULL || evbuffer_add(out, buf_str(&b), b.len) == -1) {
		evhttp_send_error(req, 500, NULL);
	} else
		evhttp_send_reply(req, code, status_reason(code), out);
	if (out != NULL)
		evbuffer_free(out);
	buf_free(&b);
}
