/*
 * Unit tests for the durable outbox: the entry file and its format,
 * delivered entries kept as .done until the task table is saved, dead
 * letters, replay in order after a "crash", orphan boxes, unreadable and
 * temporary files, and ENOSPC (injected through the write seam) keeping
 * the event in memory and writing it later.  Then through notify.c with a
 * webhook to an evhttp server: written before the first attempt, replayed
 * after a restart with the same id, a detected-again event not sent twice,
 * a refused one dead-lettered, and delivery going on while the disk is
 * full.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "config.h"
#include "evt.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "monotime.h"
#include "notify.h"
#include "outbox.h"
#include "task.h"
#include "testlib.h"
#include "xmalloc.h"

#define NOW 1747645662
#define TEST_MAX 64

static struct {
	char dir[64];
	struct event_base *base;
	struct evhttp *srv;
	int port;
	struct http *http;
	struct outbox *ob;
	struct notify *notify;
	int status;          /* what the server answers */
	const char *reply;   /* and its body; NULL: none */
	char *ids[TEST_MAX]; /* webhook-id of each request */
	size_t nreqs;
	struct evt *replayed[TEST_MAX];
	struct outbox_entry *rentries[TEST_MAX];
	size_t nreplayed;
	int enospc; /* the injected write fails */
	char *url;
	int saved_stderr;
	FILE *log;
} t;

/* The test server: note the webhook-id, answer t.status. */
static void
test_server_cb(struct evhttp_request *req, void *arg)
{
	const char *id;

	id = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "webhook-id");
	struct evbuffer *out = evbuffer_new();

	if (t.nreqs < TEST_MAX)
		t.ids[t.nreqs++] = xstrdup(id != NULL ? id : "");
	if (t.reply != NULL)
		evbuffer_add(out, t.reply, strlen(t.reply));
	evhttp_send_reply(req, t.status, "test", out);
	evbuffer_free(out);
}

/* A state directory, an event base and a server. */
static int
test_setup(void **state)
{
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&t, 0, sizeof(t));
	t.saved_stderr = -1;
	t.status = 200;
	snprintf(t.dir, sizeof(t.dir), "/tmp/test_outbox.XXXXXX");
	if (mkdtemp(t.dir) == NULL)
		return -1;
	t.base = event_base_new();
	t.srv = evhttp_new(t.base);
	bs = evhttp_bind_socket_with_handle(t.srv, "127.0.0.1", 0);
	if (bs == NULL ||
	    getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin,
		&len) == -1)
		return -1;
	t.port = ntohs(sin.sin_port);
	t.url = xasprintf("http://127.0.0.1:%d/hook", t.port);
	evhttp_set_gencb(t.srv, test_server_cb, NULL);
	t.http = http_new(t.base);
	return 0;
}

/* Free everything a test made. */
static int
test_teardown(void **state)
{
	size_t i;

	notify_free(t.notify);
	for (i = 0; i < t.nreplayed; i++) {
		if (t.rentries[i] != NULL)
			outbox_release(t.rentries[i]);
		evt_free(t.replayed[i]);
	}
	outbox_free(t.ob);
	http_free(t.http);
	evhttp_free(t.srv);
	event_base_free(t.base);
	for (i = 0; i < t.nreqs; i++)
		free(t.ids[i]);
	free(t.url);
	testlib_rmtree(t.dir);
	return 0;
}

/* Send stderr (the log) to a temporary file. */
static void
test_log_start(void)
{
	fflush(stderr);
	t.log = tmpfile();
	assert_non_null(t.log);
	t.saved_stderr = dup(2);
	dup2(fileno(t.log), 2);
}

/* Restore stderr; return what was logged (caller frees). */
static char *
test_log_stop(void)
{
	char *text;
	long n;

	fflush(stderr);
	dup2(t.saved_stderr, 2);
	close(t.saved_stderr);
	n = ftell(t.log);
	text = xcalloc(1, (size_t)n + 1);
	rewind(t.log);
	if (n > 0 && fread(text, 1, (size_t)n, t.log) != (size_t)n)
		fail_msg("short read of the log");
	fclose(t.log);
	return text;
}

/* write(2), or ENOSPC while t.enospc is set. */
static ssize_t
test_write(int fd, const void *p, size_t n)
{
	if (t.enospc) {
		errno = ENOSPC;
		return -1;
	}
	return write(fd, p, n);
}

/* A transition of task from -> to, finished (id set). */
static struct evt *
test_event(const char *task, enum task_state from, enum task_state to)
{
	struct evt *ev = evt_new(EVT_TRANSITION);

	ev->watch = xstrdup("dds-prod");
	ev->api = xstrdup("dds.jobs");
	ev->account = xstrdup("hw-prod");
	ev->region = xstrdup("cn-north-4");
	ev->occurred_at = NOW;
	ev->observed_at = NOW + 8;
	ev->has_task = 1;
	ev->task.id = xstrdup(task);
	ev->task.type = xstrdup("RestartInstance");
	ev->task.cluster_id = xstrdup("c1");
	ev->task.cluster_name = xstrdup("dds-a");
	ev->task.state = to;
	ev->task.raw_status = xstrdup(task_state_name(to));
	ev->task.progress = 60;
	ev->task.started_at = NOW - 100;
	ev->task.reason = xstrdup("why \"it\"\nfailed");
	ev->task.detail = xstrdup("{\"k\":[1,true,null]}");
	ev->has_previous = 1;
	ev->prev_state = from;
	ev->prev_raw = xstrdup(task_state_name(from));
	ev->prev_progress = 50;
	ev->rule = xstrdup("page");
	ev->obs = xstrdup("obs-1");
	evt_finish(ev);
	return ev;
}

/* Add ev to box "hook" with its document. */
static struct outbox_entry *
test_add(const char *box, const struct evt *ev)
{
	struct outbox_entry *e;
	size_t len;
	char *body = evt_to_json(ev, &len);

	e = outbox_add(t.ob, box, ev, body, len, NOW);
	free(body);
	return e;
}

/* The path of an entry of box with a suffix. */
static char *
test_path(const char *top, const char *box, const struct outbox_entry *e,
    const char *id, const char *suffix)
{
	return xasprintf("%s/%s/%s/%020llu-%s.%s", t.dir, top, box,
	    (unsigned long long)outbox_entry_seq(e), id, suffix);
}

/* 1 if path exists. */
static int
test_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Files in a directory, "." and ".." not counted. */
static size_t
test_nfiles(const char *top, const char *box)
{
	struct dirent *de;
	char *p = xasprintf("%s/%s/%s", t.dir, top, box);
	DIR *d = opendir(p);
	size_t n = 0;

	free(p);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Parse a whole file as JSON (caller frees). */
static struct json *
test_json(const char *path)
{
	FILE *fp = fopen(path, "r");
	char buf[8192], *cause = NULL;
	size_t n;
	struct json *j;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	j = json_parse(buf, n, &cause);
	if (j == NULL)
		fail_msg("%s: %s", path, cause);
	return j;
}

/* A new outbox on the test directory. */
static void
test_open_outbox(void)
{
	char *cause = NULL;

	t.ob = outbox_new(t.base, t.dir, &cause);
	if (t.ob == NULL)
		fail_msg("outbox_new: %s", cause);
	outbox_set_write_fn(t.ob, test_write);
}

/* outbox_open callback: keep what is handed over. */
static void
test_replay_cb(
    struct outbox_entry *e, struct evt *ev, int64_t enqueued_at, void *arg)
{
	assert_true(t.nreplayed < TEST_MAX);
	assert_int_equal(enqueued_at, NOW);
	t.rentries[t.nreplayed] = e;
	t.replayed[t.nreplayed++] = ev;
}

/* outbox_open callback: keep what is handed over, whenever enqueued. */
static void
test_replay_cb_any(
    struct outbox_entry *e, struct evt *ev, int64_t enqueued_at, void *arg)
{
	assert_true(t.nreplayed < TEST_MAX);
	t.rentries[t.nreplayed] = e;
	t.replayed[t.nreplayed++] = ev;
}

/* The entry file holds the document and what replay needs; fsynced dir. */
static void
test_add_file(void **state)
{
	struct evt *ev = test_event("a", TASK_RUNNING, TASK_FAILED);
	struct outbox_entry *e;
	struct json *j;
	char *path, *doc;

	test_open_outbox();
	assert_non_null(e = test_add("hook", ev));
	assert_int_equal(outbox_sync(t.ob), 0);
	path = test_path("outbox", "hook", e, ev->id, "json");
	assert_true(test_exists(path));
	j = test_json(path);
	assert_int_equal(json_type(json_get(j, "version")), JSON_NUMBER);
	assert_string_equal(json_get_str(j, "notifier"), "hook");
	assert_string_equal(
	    json_get_str(j, "enqueued_at"), "2025-05-19T09:07:42Z");
	assert_string_equal(json_get_str(j, "obs"), "obs-1");
	assert_string_equal(json_get_str(j, "rule"), "page");
	assert_string_equal(json_get_str(j, "severity"), "critical");
	doc = json_dump(json_get(j, "event"), NULL);
	assert_non_null(strstr(doc, ev->id));
	free(doc);
	json_free(j);
	assert_true(outbox_has(t.ob, "hook", ev->id));
	assert_false(outbox_has(t.ob, "other", ev->id));
	assert_int_equal(outbox_pending(t.ob, "hook"), 1);
	assert_int_equal(outbox_pending(t.ob, NULL), 1);
	assert_false(outbox_degraded(t.ob));
	outbox_release(e);
	assert_true(test_exists(path)); /* kept for the next start */
	free(path);
	evt_free(ev);
}

/* Delivered: .done until the table is saved, then gone. */
static void
test_delivered(void **state)
{
	struct evt *ev = test_event("a", TASK_RUNNING, TASK_FAILED);
	struct outbox_entry *e;
	char *json, *done;

	test_open_outbox();
	e = test_add("hook", ev);
	json = test_path("outbox", "hook", e, ev->id, "json");
	done = test_path("outbox", "hook", e, ev->id, "done");
	outbox_delivered(e);
	assert_false(test_exists(json));
	assert_true(test_exists(done));
	assert_true(outbox_has(t.ob, "hook", ev->id)); /* no resend */
	assert_int_equal(outbox_pending(t.ob, "hook"), 0);
	outbox_saved(t.ob, 0, outbox_mark(t.ob));
	assert_false(test_exists(done));
	assert_false(outbox_has(t.ob, "hook", ev->id));
	free(json);
	free(done);
	evt_free(ev);
}

/*
 * A save taken at a mark covers only what was delivered up to it: an
 * entry delivered while the save was being written keeps its .done file.
 */
static void
test_saved_mark(void **state)
{
	struct evt *ev1 = test_event("a", TASK_RUNNING, TASK_FAILED);
	struct evt *ev2 = test_event("b", TASK_RUNNING, TASK_FAILED);
	struct outbox_entry *e1, *e2;
	char *done1, *done2;
	uint64_t mark;

	test_open_outbox();
	e1 = test_add("hook", ev1);
	e2 = test_add("hook", ev2);
	done1 = test_path("outbox", "hook", e1, ev1->id, "done");
	done2 = test_path("outbox", "hook", e2, ev2->id, "done");
	outbox_delivered(e1);
	mark = outbox_mark(t.ob); /* the save starts here */
	outbox_delivered(e2);
	outbox_saved(t.ob, 0, mark);
	assert_false(test_exists(done1));
	assert_true(test_exists(done2));
	assert_true(outbox_has(t.ob, "hook", ev2->id));
	outbox_saved(t.ob, 0, outbox_mark(t.ob));
	assert_false(test_exists(done2));
	free(done1);
	free(done2);
	evt_free(ev1);
	evt_free(ev2);
}

/* The inode number of a file. */
static ino_t
test_ino(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/*
 * Once the table is saved, a delivered entry's file is a spare that the
 * next entry's write takes over (the same inode: no file is created).
 * After a burst the spares shrink back; a restart removes them.
 */
static void
test_spares(void **state)
{
	struct evt *ev[40];
	struct outbox_entry *e[40];
	char task[16], *p;
	ino_t ino;
	size_t i;

	for (i = 0; i < 40; i++) {
		snprintf(task, sizeof(task), "t%zu", i);
		ev[i] = test_event(task, TASK_RUNNING, TASK_FAILED);
	}
	test_open_outbox();
	e[0] = test_add("hook", ev[0]);
	p = test_path("outbox", "hook", e[0], ev[0]->id, "json");
	ino = test_ino(p);
	free(p);
	p = test_path("outbox", "hook", e[0], ev[0]->id, "spare");
	outbox_delivered(e[0]);
	outbox_saved(t.ob, 0, outbox_mark(t.ob)); /* e[0] is freed */
	assert_int_equal(test_ino(p), ino);
	free(p);
	assert_int_equal(test_nfiles("outbox", "hook"), 1);

	e[1] = test_add("hook", ev[1]);
	p = test_path("outbox", "hook", e[1], ev[1]->id, "json");
	assert_int_equal(test_ino(p), ino);
	free(p);
	assert_int_equal(test_nfiles("outbox", "hook"), 1);
	/* A burst: 39 written since the save, all 39 kept as spares. */
	for (i = 2; i < 40; i++)
		e[i] = test_add("hook", ev[i]);
	for (i = 1; i < 40; i++)
		outbox_delivered(e[i]);
	outbox_saved(t.ob, 0, outbox_mark(t.ob));
	assert_int_equal(test_nfiles("outbox", "hook"), 39);
	/* Nothing written since: back to the minimum. */
	outbox_saved(t.ob, 0, outbox_mark(t.ob));
	assert_int_equal(test_nfiles("outbox", "hook"), 16);
	outbox_free(t.ob);
	t.ob = NULL;
	test_open_outbox();
	assert_int_equal(test_nfiles("outbox", "hook"), 0);
	for (i = 0; i < 40; i++)
		evt_free(ev[i]);
}

/* After a big burst the spares shrink back at most 256 per save. */
static void
test_spares_trim(void **state)
{
	struct evt *ev[300];
	struct outbox_entry *e[300];
	char task[16];
	size_t i;

	test_open_outbox();
	for (i = 0; i < 300; i++) {
		snprintf(task, sizeof(task), "t%zu", i);
		ev[i] = test_event(task, TASK_RUNNING, TASK_FAILED);
		e[i] = test_add("hook", ev[i]);
	}
	for (i = 0; i < 300; i++)
		outbox_delivered(e[i]);
	outbox_saved(t.ob, 0, outbox_mark(t.ob));
	assert_int_equal(test_nfiles("outbox", "hook"), 300);
	outbox_saved(t.ob, 0, outbox_mark(t.ob));
	assert_int_equal(test_nfiles("outbox", "hook"), 300 - 256);
	outbox_saved(t.ob, 0, outbox_mark(t.ob));
	assert_int_equal(test_nfiles("outbox", "hook"), 16);
	for (i = 0; i < 300; i++)
		evt_free(ev[i]);
}

/*
 * Dead: moved to dead/{notifier}/ with the reason, attempts, the
 * receiver's status and the start of its answer, made safe.
 */
static void
test_dead(void **state)
{
	struct evt *ev = test_event("a", TASK_RUNNING, TASK_FAILED);
	struct outbox_entry *e;
	struct outbox_answer ans;
	static const char answer[] = "{\"error\":\"bad \x1b[31m\"}\0tail";
	char *json, *dead, *path;
	struct json *j;
	int64_t n;

	test_open_outbox();
	e = test_add("hook", ev);
	json = test_path("outbox", "hook", e, ev->id, "json");
	dead = test_path("dead", "hook", e, ev->id, "json");
	ans.status = 400;
	ans.body = answer;
	ans.len = sizeof(answer) - 1;
	path = outbox_dead(e, ev, 3, "HTTP 400 (not retried)", &ans, NOW + 5);
	assert_non_null(path);
	assert_string_equal(path, dead);
	assert_false(test_exists(json));
	assert_true(test_exists(dead));
	j = test_json(dead);
	assert_string_equal(
	    json_get_str(j, "reason"), "HTTP 400 (not retried)");
	assert_int_equal(json_int(json_get(j, "attempts"), 0, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(json_get_str(j, "dead_at"), "2025-05-19T09:07:47Z");
	assert_string_equal(json_get_str(json_get(j, "event"), "id"), ev->id);
	assert_int_equal(json_int(json_get(j, "http_status"), 0, &n), 0);
	assert_int_equal(n, 400);
	assert_string_equal(
	    json_get_str(j, "response"), "{\"error\":\"bad ?[31m\"}?tail");
	json_free(j);
	assert_int_equal(outbox_pending(t.ob, NULL), 0);
	assert_int_equal(outbox_dead_count(t.ob, "hook"), 1);
	free(path);
	free(json);
	free(dead);
	evt_free(ev);
}

/* The excerpt: 512 bytes at most, never half a UTF-8 sequence. */
static void
test_dead_excerpt(void **state)
{
	char body[600], *x;

	memset(body, 'a', sizeof(body));
	x = outbox_excerpt(body, sizeof(body));
	assert_int_equal(strlen(x), OUTBOX_EXCERPT_MAX);
	free(x);
	/* "é" (2 bytes) at 511..512: cut before it. */
	body[511] = (char)0xc3;
	body[512] = (char)0xa9;
	x = outbox_excerpt(body, sizeof(body));
	assert_int_equal(strlen(x), 511);
	free(x);
	/* "€" (3 bytes) at 510..512: cut before it too. */
	body[510] = (char)0xe2;
	body[511] = (char)0x82;
	body[512] = (char)0xac;
	x = outbox_excerpt(body, sizeof(body));
	assert_int_equal(strlen(x), 510);
	free(x);
	/* Ending at 511: kept whole. */
	body[509] = (char)0xe2;
	body[510] = (char)0x82;
	body[511] = (char)0xac;
	body[512] = 'b';
	x = outbox_excerpt(body, sizeof(body));
	assert_int_equal(strlen(x), 512);
	free(x);
	x = outbox_excerpt("a\r\nb\tc\x7f", 7);
	assert_string_equal(x, "a?\nb\tc?");
	free(x);
}

/* What outbox_foreach_box reports, per box. */
struct test_boxes {
	size_t n;
	char name[4][32];
	size_t pending[4];
	size_t dead[4];
	int64_t oldest[4];
};

/* outbox_foreach_box callback: keep the figures. */
static void
test_box_cb(const struct outbox_box_stats *st, void *arg)
{
	struct test_boxes *tb = arg;

	assert_true(tb->n < 4);
	snprintf(tb->name[tb->n], sizeof(tb->name[0]), "%s", st->name);
	tb->pending[tb->n] = st->pending;
	tb->dead[tb->n] = st->dead;
	tb->oldest[tb->n++] = st->oldest_pending_at;
}

/*
 * Dead letters are counted: +1 as they are written, and from the disk at
 * the next start, for a notifier configured or not; the oldest pending
 * entry's time is the first one's.
 */
static void
test_dead_count(void **state)
{
	struct evt *ev[3];
	struct outbox_entry *e[3];
	struct test_boxes tb;
	size_t i, len;
	char *p, *body;

	test_open_outbox();
	for (i = 0; i < 3; i++) {
		ev[i] = test_event(i == 0 ? "a"
			: i == 1          ? "b"
					  : "c",
		    TASK_RUNNING, TASK_FAILED);
		body = evt_to_json(ev[i], &len);
		e[i] = outbox_add(t.ob, "hook", ev[i], body, len, NOW + i);
		free(body);
	}
	memset(&tb, 0, sizeof(tb));
	outbox_foreach_box(t.ob, test_box_cb, &tb);
	assert_int_equal(tb.n, 1);
	assert_int_equal(tb.pending[0], 3);
	assert_int_equal(tb.oldest[0], NOW);
	free(outbox_dead(e[0], ev[0], 1, "HTTP 400", NULL, NOW));
	p = outbox_dead(e[1], ev[1], 1, "HTTP 400", NULL, NOW);
	free(p);
	assert_int_equal(outbox_dead_count(t.ob, "hook"), 2);
	assert_int_equal(outbox_dead_count(t.ob, NULL), 2);
	assert_int_equal(outbox_dead_count(t.ob, "other"), 0);
	memset(&tb, 0, sizeof(tb));
	outbox_foreach_box(t.ob, test_box_cb, &tb);
	assert_int_equal(tb.pending[0], 1);
	assert_int_equal(tb.dead[0], 2);
	assert_int_equal(tb.oldest[0], NOW + 2);
	outbox_release(e[2]);
	outbox_free(t.ob);
	t.ob = NULL;
	/* The next start: counted from dead/, no notifier opened yet. */
	test_open_outbox();
	assert_int_equal(outbox_dead_count(t.ob, "hook"), 2);
	memset(&tb, 0, sizeof(tb));
	outbox_foreach_box(t.ob, test_box_cb, &tb);
	assert_int_equal(tb.n, 1);
	assert_string_equal(tb.name[0], "hook");
	assert_int_equal(tb.dead[0], 2);
	for (i = 0; i < 3; i++)
		evt_free(ev[i]);
}

/* outbox_dead_retry callback: keep what is handed over. */
static void
test_requeue_cb(const char *notifier, struct outbox_entry *e, struct evt *ev,
    int64_t enqueued_at, void *arg)
{
	assert_string_equal(notifier, "hook");
	assert_true(t.nreplayed < TEST_MAX);
	t.rentries[t.nreplayed] = e;
	t.replayed[t.nreplayed++] = ev;
}

/*
 * The list of dead letters says what each is; retry by id puts one back
 * in the outbox (same event id, no attempts), and retry of all leaves
 * the rest for the next start, which replays them.
 */
static void
test_dead_list_retry(void **state)
{
	struct evt *ev[2];
	struct outbox_entry *e[2];
	struct outbox_dead_letter *dl;
	struct outbox_answer ans = { 400, "no such channel", 15 };
	struct json *j;
	char *cause = NULL, *id, *file;
	size_t n, i;

	test_open_outbox();
	ev[0] = test_event("a", TASK_RUNNING, TASK_FAILED);
	ev[1] = test_event("b", TASK_RUNNING, TASK_FAILED);
	for (i = 0; i < 2; i++)
		e[i] = test_add("hook", ev[i]);
	free(outbox_dead(
	    e[0], ev[0], 2, "HTTP 400 (not retried)", &ans, NOW + 5));
	free(outbox_dead(e[1], ev[1], 7, "timed out", NULL, NOW + 6));
	dl = outbox_dead_list(t.ob, NULL, &n);
	assert_int_equal(n, 2);
	assert_string_equal(dl[0].notifier, "hook");
	assert_string_equal(dl[0].event_id, ev[0]->id);
	assert_int_equal(strlen(dl[0].id), 20 + 1 + EVT_ID_LEN);
	assert_string_equal(dl[0].id + 21, ev[0]->id);
	assert_int_equal(dl[0].dead_at, NOW + 5);
	assert_int_equal(dl[0].attempts, 2);
	assert_int_equal(dl[0].http_status, 400);
	assert_string_equal(dl[0].reason, "HTTP 400 (not retried)");
	assert_string_equal(dl[0].response, "no such channel");
	assert_string_equal(dl[1].event_id, ev[1]->id);
	assert_int_equal(dl[1].http_status, 0);
	assert_null(dl[1].response);
	id = xstrdup(dl[0].id);
	outbox_dead_list_free(dl, n);
	dl = outbox_dead_list(t.ob, "other", &n);
	assert_int_equal(n, 0);
	outbox_dead_list_free(dl, n);

	/* Unknown: refused. */
	assert_int_equal(outbox_dead_retry(t.ob, NULL, "nope", test_requeue_cb,
			     NULL, &n, &cause),
	    -1);
	assert_non_null(strstr(cause, "no dead letter nope"));
	free(cause);
	/* By id: pending again, same event id, no longer dead. */
	assert_int_equal(outbox_dead_retry(t.ob, "hook", id, test_requeue_cb,
			     NULL, &n, &cause),
	    0);
	free(id);
	assert_int_equal(n, 1);
	assert_int_equal(t.nreplayed, 1);
	assert_string_equal(t.replayed[0]->id, ev[0]->id);
	assert_int_equal(outbox_dead_count(t.ob, "hook"), 1);
	assert_int_equal(test_nfiles("dead", "hook"), 1);
	assert_int_equal(outbox_pending(t.ob, "hook"), 1);
	assert_true(outbox_has(t.ob, "hook", ev[0]->id));
	file = test_path("outbox", "hook", t.rentries[0], ev[0]->id, "json");
	j = test_json(file);
	free(file);
	assert_null(json_get(j, "attempts"));
	assert_null(json_get(j, "reason"));
	assert_string_equal(
	    json_get_str(json_get(j, "event"), "id"), ev[0]->id);
	json_free(j);
	/* All the rest, by event id and with no one to hand it to. */
	assert_int_equal(
	    outbox_dead_retry(t.ob, NULL, NULL, NULL, NULL, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(outbox_dead_count(t.ob, NULL), 0);
	assert_int_equal(test_nfiles("dead", "hook"), 0);
	assert_int_equal(test_nfiles("outbox", "hook"), 2);
	outbox_release(t.rentries[0]);
	t.rentries[0] = NULL;
	outbox_free(t.ob);
	t.ob = NULL;
	/* The next start delivers both, in the order they were retried. */
	test_open_outbox();
	assert_int_equal(
	    outbox_open(t.ob, "hook", test_replay_cb_any, NULL), 2);
	assert_string_equal(t.replayed[1]->id, ev[0]->id);
	assert_string_equal(t.replayed[2]->id, ev[1]->id);
	for (i = 0; i < 2; i++)
		evt_free(ev[i]);
}

/*
 * A "crash" (the outbox freed with entries on disk): the next start hands
 * them back in write order, each event as it was, and new entries sort
 * after them.
 */
static void
test_replay_order(void **state)
{
	struct evt *ev[4];
	struct outbox_entry *e[4];
	char *a, *b;
	size_t i, la, lb;
	uint64_t last;

	ev[0] = test_event("a", TASK_PENDING, TASK_RUNNING);
	ev[1] = test_event("b", TASK_PENDING, TASK_RUNNING);
	ev[2] = test_event("a", TASK_RUNNING, TASK_FAILED);
	ev[3] = test_event("c", TASK_RUNNING, TASK_SUCCEEDED);
	/* A resolve-only delivery stays one across a restart. */
	ev[1]->resolve_only = 1;
	test_open_outbox();
	for (i = 0; i < 4; i++)
		e[i] = test_add("hook", ev[i]);
	last = outbox_entry_seq(e[3]);
	outbox_delivered(e[3]); /* delivered, table not saved: .done */
	for (i = 0; i < 3; i++)
		outbox_release(e[i]);
	outbox_free(t.ob);

	test_open_outbox();
	assert_false(outbox_has(t.ob, "hook", ev[0]->id)); /* not opened */
	assert_int_equal(outbox_open(t.ob, "hook", test_replay_cb, NULL), 3);
	assert_int_equal(outbox_open(t.ob, "hook", test_replay_cb, NULL), 0);
	assert_int_equal(t.nreplayed, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(t.replayed[i]->id, ev[i]->id);
		assert_string_equal(t.replayed[i]->obs, "obs-1");
		assert_int_equal(t.replayed[i]->resolve_only, i == 1);
		a = evt_to_json(ev[i], &la);
		b = evt_to_json(t.replayed[i], &lb);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	/* The delivered one is known, so not sent again when re-detected. */
	assert_true(outbox_has(t.ob, "hook", ev[3]->id));
	outbox_saved(t.ob, 0, outbox_mark(t.ob)); /* not settled: kept */
	assert_true(outbox_has(t.ob, "hook", ev[3]->id));
	outbox_saved(t.ob, 1, outbox_mark(t.ob));
	assert_false(outbox_has(t.ob, "hook", ev[3]->id));
	e[0] = test_add("hook", ev[3]);
	assert_true(outbox_entry_seq(e[0]) > last);
	outbox_release(e[0]);
	for (i = 0; i < 4; i++)
		evt_free(ev[i]);
}

/* Boxes nobody opens are kept and warned about once. */
static void
test_orphans(void **state)
{
	struct evt *ev = test_event("a", TASK_RUNNING, TASK_FAILED);
	char *log;

	test_open_outbox();
	outbox_release(test_add("gone", ev));
	outbox_release(test_add("hook", ev));
	outbox_free(t.ob);
	test_open_outbox();
	outbox_open(t.ob, "hook", test_replay_cb, NULL);
	test_log_start();
	outbox_warn_orphans(t.ob);
	outbox_warn_orphans(t.ob);
	log = test_log_stop();
	assert_non_null(strstr(log,
	    "outbox: 1 undelivered notification for "
	    "notifier gone, which is not configured"));
	assert_null(strstr(strstr(log, "notifier gone") + 1, "notifier gone"));
	free(log);
	assert_int_equal(test_nfiles("outbox", "gone"), 1);
	evt_free(ev);
}

/* An unreadable entry goes to dead/ loudly; a temporary file is removed. */
static void
test_bad_files(void **state)
{
	struct evt *ev = test_event("a", TASK_RUNNING, TASK_FAILED);
	char *p, *log;
	FILE *fp;

	test_open_outbox();
	outbox_release(test_add("hook", ev));
	outbox_free(t.ob);
	p = xasprintf("%s/outbox/hook/%020d-%s.json", t.dir, 1, ev->id);
	fp = fopen(p, "w");
	fputs("{\"version\":1,\"event\":{\"trunc", fp);
	fclose(fp);
	free(p);
	p = xasprintf("%s/outbox/hook/%020d-%s.tmp", t.dir, 2, ev->id);
	fp = fopen(p, "w");
	fclose(fp);
	test_open_outbox();
	assert_false(test_exists(p));
	free(p);
	test_log_start();
	assert_int_equal(outbox_open(t.ob, "hook", test_replay_cb, NULL), 1);
	log = test_log_stop();
	assert_non_null(strstr(log, "cannot be read"));
	assert_non_null(strstr(log, "moved to"));
	free(log);
	assert_int_equal(test_nfiles("dead", "hook"), 1);
	assert_int_equal(test_nfiles("outbox", "hook"), 1);
	evt_free(ev);
}

/* A notifier name that would be a hidden or dot directory is escaped. */
static void
test_dot_name(void **state)
{
	struct evt *ev = test_event("a", TASK_RUNNING, TASK_FAILED);
	char *p;

	test_open_outbox();
	outbox_release(test_add("..", ev));
	assert_int_equal(test_nfiles("outbox", "%.."), 1);
	p = outbox_box_path(t.ob, "..");
	assert_non_null(strstr(p, "/outbox/%.."));
	free(p);
	outbox_free(t.ob);
	test_open_outbox();
	assert_int_equal(outbox_open(t.ob, "..", test_replay_cb, NULL), 1);
	evt_free(ev);
}

/*
 * ENOSPC: the entry stays in memory (degraded, logged loudly once), later
 * ones queue behind it, the retry writes them all in order once there is
 * room again.  A dead letter waits the same way.
 */
static void
test_enospc(void **state)
{
	struct evt *ev[3];
	struct outbox_entry *e[3];
	char *log, *p;
	size_t i;

	ev[0] = test_event("a", TASK_PENDING, TASK_RUNNING);
	ev[1] = test_event("a", TASK_RUNNING, TASK_FAILED);
	ev[2] = test_event("b", TASK_RUNNING, TASK_FAILED);
	test_open_outbox();
	t.enospc = 1;
	test_log_start();
	for (i = 0; i < 3; i++)
		e[i] = test_add("hook", ev[i]);
	assert_true(outbox_degraded(t.ob));
	assert_int_equal(test_nfiles("outbox", "hook"), 0);
	assert_int_equal(outbox_pending(t.ob, "hook"), 3);
	assert_true(outbox_has(t.ob, "hook", ev[1]->id));
	/* Delivered before the disk took it: nothing to write any more. */
	outbox_delivered(e[2]);
	assert_int_equal(outbox_retry(t.ob), -1);
	/* Given up while the disk is full: the dead letter waits. */
	assert_null(outbox_dead(e[1], ev[1], 1, "HTTP 400", NULL, NOW));
	log = test_log_stop();
	assert_non_null(strstr(log, "No space left on device"));
	assert_non_null(strstr(log, "kept in memory only"));
	/* Rate-limited: one complaint for all of this. */
	assert_null(
	    strstr(strstr(log, "kept in memory") + 1, "kept in memory"));
	free(log);
	assert_true(outbox_degraded(t.ob));

	t.enospc = 0;
	test_log_start();
	assert_int_equal(outbox_retry(t.ob), 0);
	log = test_log_stop();
	assert_non_null(strstr(log, "writing to"));
	assert_non_null(strstr(log, "dead letter written"));
	free(log);
	assert_false(outbox_degraded(t.ob));
	p = test_path("outbox", "hook", e[0], ev[0]->id, "json");
	assert_true(test_exists(p));
	free(p);
	assert_int_equal(test_nfiles("outbox", "hook"), 1);
	assert_int_equal(test_nfiles("dead", "hook"), 1);
	outbox_release(e[0]);
	for (i = 0; i < 3; i++)
		evt_free(ev[i]);
}

/* The retry timer does the writing by itself once there is room. */
static void
test_enospc_timer(void **state)
{
	struct evt *ev = test_event("a", TASK_RUNNING, TASK_FAILED);
	struct outbox_entry *e;
	struct timeval tv = { 1, 500000 };

	test_open_outbox();
	t.enospc = 1;
	test_log_start();
	e = test_add("hook", ev);
	t.enospc = 0;
	event_base_loopexit(t.base, &tv);
	event_base_dispatch(t.base);
	free(test_log_stop());
	assert_false(outbox_degraded(t.ob));
	assert_int_equal(test_nfiles("outbox", "hook"), 1);
	outbox_release(e);
	evt_free(ev);
}

/* A webhook notifier named hook and rules-less routing. */
static void
test_conf(struct config *conf, struct config_notifier *cn)
{
	memset(conf, 0, sizeof(*conf));
	memset(cn, 0, sizeof(*cn));
	cn->name = (char *)"hook";
	cn->type = CONFIG_NOTIFIER_WEBHOOK;
	cn->url = t.url;
	cn->timeout_ms = 2000;
	cn->retry.initial_ms = 50;
	cn->retry.max_ms = 100;
	cn->retry.give_up_after_ms = 60000;
	conf->notifiers = cn;
	conf->nnotifiers = 1;
}

/* What test_tick_cb checks. */
struct test_wait {
	int (*cond)(void);
	uint64_t deadline;
};

/* Stop the loop when the condition holds or time is up. */
static void
test_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct test_wait *w = arg;

	if (w->cond() || monotime_ms() >= w->deadline)
		event_base_loopbreak(t.base);
}

/* Run the loop until cond() or timeout_ms; return cond(). */
static int
test_run(int (*cond)(void), uint64_t timeout_ms)
{
	struct test_wait w = { cond, monotime_ms() + timeout_ms };
	struct timeval tv = { 0, 5000 };
	struct event *tick;

	tick = event_new(t.base, -1, EV_PERSIST, test_tick_cb, &w);
	event_add(tick, &tv);
	event_base_dispatch(t.base);
	event_free(tick);
	return cond();
}

/* Nothing left to deliver. */
static int
test_idle(void)
{
	return notify_pending(t.notify) == 0;
}

/* Route ev and free it. */
static void
test_send(struct evt *ev)
{
	notify_event(t.notify, ev);
	evt_free(ev);
}

/*
 * Through notify.c: the entry exists before the first attempt; a restart
 * sends what was pending with the same id, in order; an event detected
 * again after the restart is not sent twice.
 */
static void
test_notify_replay(void **state)
{
	struct config conf;
	struct config_notifier cn;
	struct evt *ev[3];
	size_t i;

	for (i = 0; i < 3; i++)
		ev[i] = test_event(i == 2 ? "b" : "a",
		    i == 0 ? TASK_PENDING : TASK_RUNNING,
		    i == 0 ? TASK_RUNNING : TASK_FAILED);
	test_conf(&conf, &cn);
	test_open_outbox();
	t.notify = notify_new(t.base, t.http, &conf);
	notify_set_outbox(t.notify, t.ob);
	for (i = 0; i < 3; i++)
		notify_event(t.notify, ev[i]);
	/* Written synchronously, before the loop runs any delivery. */
	assert_int_equal(test_nfiles("outbox", "hook"), 3);
	assert_int_equal(t.nreqs, 0);
	/* "Crash": nothing delivered. */
	notify_free(t.notify);
	t.notify = NULL;
	outbox_free(t.ob);
	assert_int_equal(test_nfiles("outbox", "hook"), 3);

	test_open_outbox();
	t.notify = notify_new(t.base, t.http, &conf);
	test_log_start();
	notify_set_outbox(t.notify, t.ob);
	free(test_log_stop());
	assert_int_equal(notify_pending(t.notify), 3);
	/* Detected again by the first poll: already queued, not doubled. */
	notify_event(t.notify, ev[1]);
	assert_int_equal(notify_pending(t.notify), 3);
	assert_true(test_run(test_idle, 5000));
	assert_int_equal(t.nreqs, 3);
	/* Task a's two events in order; all with their own ids. */
	assert_string_equal(t.ids[0], ev[0]->id);
	assert_true(strcmp(t.ids[1], ev[1]->id) == 0 ||
	    strcmp(t.ids[2], ev[1]->id) == 0);
	assert_true(strcmp(t.ids[1], ev[2]->id) == 0 ||
	    strcmp(t.ids[2], ev[2]->id) == 0);
	/* Delivered: .done only, forgotten once the table is saved. */
	for (i = 0; i < 3; i++)
		assert_true(outbox_has(t.ob, "hook", ev[i]->id));
	notify_event(t.notify, ev[2]); /* the re-detection of a sent one */
	assert_int_equal(notify_pending(t.notify), 0);
	outbox_saved(t.ob, 1, outbox_mark(t.ob));
	/* Their files stay as spares for the next entries to reuse. */
	for (i = 0; i < 3; i++)
		assert_false(outbox_has(t.ob, "hook", ev[i]->id));
	assert_int_equal(test_nfiles("outbox", "hook"), 3);
	for (i = 0; i < 3; i++)
		evt_free(ev[i]);
}

/* Through notify.c: a 400 is dead-lettered to a file, logged at CRIT. */
static void
test_notify_dead(void **state)
{
	struct config conf;
	struct config_notifier cn;
	struct outbox_dead_letter *dl;
	size_t n;
	char *log;

	test_conf(&conf, &cn);
	test_open_outbox();
	t.notify = notify_new(t.base, t.http, &conf);
	notify_set_outbox(t.notify, t.ob);
	t.status = 400;
	t.reply = "{\"error\":\"unknown channel\"}";
	test_log_start();
	test_send(test_event("a", TASK_RUNNING, TASK_FAILED));
	assert_true(test_run(test_idle, 5000));
	log = test_log_stop();
	assert_non_null(strstr(log, "giving up on transition event"));
	assert_non_null(strstr(log, "HTTP 400 (not retried); kept in "));
	assert_non_null(strstr(log, "/dead/hook/"));
	free(log);
	assert_int_equal(test_nfiles("dead", "hook"), 1);
	assert_int_equal(test_nfiles("outbox", "hook"), 0);
	dl = outbox_dead_list(t.ob, "hook", &n);
	assert_int_equal(n, 1);
	assert_int_equal(dl[0].http_status, 400);
	assert_string_equal(dl[0].response, "{\"error\":\"unknown channel\"}");
	outbox_dead_list_free(dl, n);
	assert_int_equal(outbox_dead_count(t.ob, "hook"), 1);
	/* The receiver is fixed: retried, delivered with the same id. */
	t.status = 200;
	assert_int_equal(
	    notify_dead_retry(t.notify, "hook", NULL, &n, &log), 0);
	assert_int_equal(n, 1);
	assert_true(test_run(test_idle, 5000));
	assert_int_equal(t.nreqs, 2);
	assert_string_equal(t.ids[0], t.ids[1]);
	assert_int_equal(outbox_dead_count(t.ob, NULL), 0);
	assert_int_equal(outbox_pending(t.ob, NULL), 0);
}

/* Through notify.c: with the disk full, delivery does not wait. */
static void
test_notify_enospc(void **state)
{
	struct config conf;
	struct config_notifier cn;

	test_conf(&conf, &cn);
	test_open_outbox();
	t.notify = notify_new(t.base, t.http, &conf);
	notify_set_outbox(t.notify, t.ob);
	t.enospc = 1;
	test_log_start();
	test_send(test_event("a", TASK_RUNNING, TASK_FAILED));
	test_send(test_event("b", TASK_RUNNING, TASK_FAILED));
	assert_true(outbox_degraded(t.ob));
	assert_false(notify_storage_ok(t.notify));
	assert_true(test_run(test_idle, 5000));
	free(test_log_stop());
	assert_int_equal(t.nreqs, 2);
	/* Delivered from memory: nothing left to write, not degraded. */
	assert_false(outbox_degraded(t.ob));
	assert_true(notify_storage_ok(t.notify));
	assert_int_equal(test_nfiles("outbox", "hook"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_add_file, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_delivered, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_saved_mark, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_spares, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_spares_trim, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dead, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dead_excerpt, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dead_count, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dead_list_retry, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_replay_order, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_orphans, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_bad_files, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dot_name, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_enospc, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_enospc_timer, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_notify_replay, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_notify_dead, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_notify_enospc, test_setup, test_teardown),
	};

	log_init("test_outbox", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
