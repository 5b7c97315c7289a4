/*
 * Replies that are not sent at once: an oversized body generated chunk by
 * chunk as the client drains it, a body trickled one byte per interval, and
 * a body cut off by a TCP reset after a prefix.  Everything is driven by
 * evhttp's write callbacks and timers; nothing blocks the loop.  A client
 * that goes away is noticed through the connection's close callback.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "log.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_STREAM_BLOCK (64 * 1024)
#define SIM_STREAM_ITEM 1024 /* one padding string with quotes and comma */
#define SIM_STREAM_RESET_DELAY_MS 20
#define SIM_STREAM_HEAD "{\"padding\":["
#define SIM_STREAM_TAIL "\"\"]}"

/* A reply being streamed. */
struct sim_stream {
	TAILQ_ENTRY(sim_stream) entry;
	struct sim *sim;
	struct evhttp_request *req;
	struct evhttp_connection *evcon; /* borrowed; NULL once closed */
	struct event *timer;
	enum sim_stream_mode mode;
	struct buf body; /* trickle, reset: what is sent */
	size_t off;      /* trickle: bytes sent */
	uint64_t total;  /* oversized: bytes to send at least */
	uint64_t sent;   /* oversized: bytes sent */
	unsigned interval_ms;
	char *line;
};

static void sim_stream_written_cb(struct evhttp_connection *, void *);

/* Arm the stream's timer for ms milliseconds. */
static void
sim_stream_arm(struct sim_stream *st, unsigned ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(st->timer, &tv);
}

/* Unlink and free a stream whose request is no longer ours. */
static void
sim_stream_free(struct sim_stream *st)
{
	TAILQ_REMOVE(&st->sim->streams, st, entry);
	event_free(st->timer);
	buf_free(&st->body);
	free(st->line);
	free(st);
}

/*
 * End the reply (evhttp frees the request, at once if its connection has
 * gone) and free the stream.
 */
static void
sim_stream_finish(struct sim_stream *st)
{
	if (st->evcon != NULL)
		evhttp_connection_set_closecb(st->evcon, NULL, NULL);
	log_debug("%s: stream ended", st->line);
	evhttp_send_reply_end(st->req);
	sim_stream_free(st);
}

/* Send len bytes as one chunk; cb (may be NULL) runs once it is written. */
static void
sim_stream_send(struct sim_stream *st, const void *p, size_t len,
    void (*cb)(struct evhttp_connection *, void *))
{
	struct evbuffer *eb;

	if ((eb = evbuffer_new()) == NULL)
		fatalx("%s: evbuffer_new failed", __func__);
	evbuffer_add(eb, p, len);
	evhttp_send_reply_chunk_with_cb(
	    st->req, eb, cb, cb != NULL ? st : NULL);
	evbuffer_free(eb);
}

/*
 * Oversized: send the next block of {"padding":["xxx…","xxx…",…,""]} and
 * come back when it is written, until at least total bytes went out.
 */
static void
sim_stream_more(struct sim_stream *st)
{
	struct buf b;
	char item[SIM_STREAM_ITEM];

	if (st->sent >= st->total) {
		sim_stream_finish(st);
		return;
	}
	buf_init(&b, 0);
	if (st->sent == 0)
		buf_puts(&b, SIM_STREAM_HEAD);
	item[0] = '"';
	memset(item + 1, 'x', sizeof(item) - 3);
	item[sizeof(item) - 2] = '"';
	item[sizeof(item) - 1] = ',';
	while (b.len < SIM_STREAM_BLOCK &&
	    st->sent + b.len + sizeof(SIM_STREAM_TAIL) - 1 < st->total)
		buf_add(&b, item, sizeof(item));
	if (st->sent + b.len + sizeof(SIM_STREAM_TAIL) - 1 >= st->total)
		buf_puts(&b, SIM_STREAM_TAIL);
	st->sent += b.len;
	sim_stream_send(st, b.data, b.len, sim_stream_written_cb);
	buf_free(&b);
}

/* Reset: close the connection with an RST, dropping the request. */
static void
sim_stream_reset(struct sim_stream *st)
{
	struct linger lg = { 1, 0 };
	struct evhttp_connection *evcon = st->evcon;
	evutil_socket_t fd;

	if (evcon == NULL || evhttp_request_get_connection(st->req) == NULL) {
		sim_stream_finish(st);
		return;
	}
	log_debug(
	    "%s: connection reset after %zu bytes", st->line, st->body.len);
	evhttp_connection_set_closecb(evcon, NULL, NULL);
	fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	if (fd != -1 &&
	    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == -1)
		log_warn("setsockopt SO_LINGER");
	/* frees the request with the connection */
	evhttp_connection_free(evcon);
	sim_stream_free(st);
}

/* evhttp: the last chunk has been written to the socket. */
static void
sim_stream_written_cb(struct evhttp_connection *evcon, void *arg)
{
	struct sim_stream *st = arg;

	if (st->mode == SIM_STREAM_OVERSIZED)
		sim_stream_more(st);
	else if (st->mode == SIM_STREAM_RESET)
		sim_stream_arm(st, SIM_STREAM_RESET_DELAY_MS);
}

/* Timer: trickle one more byte, reset, or clean up after a close. */
static void
sim_stream_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct sim_stream *st = arg;

	if (st->evcon == NULL ||
	    evhttp_request_get_connection(st->req) == NULL) {
		sim_stream_finish(st);
		return;
	}
	switch (st->mode) {
	case SIM_STREAM_TRICKLE:
		if (st->off >= st->body.len) {
			sim_stream_finish(st);
			return;
		}
		sim_stream_send(st, st->body.data + st->off, 1, NULL);
		st->off++;
		sim_stream_arm(st, st->interval_ms);
		break;
	case SIM_STREAM_RESET:
		sim_stream_reset(st);
		break;
	case SIM_STREAM_OVERSIZED:
	case SIM_STREAM_NONE:
		break;
	}
}

/* evhttp: the client's connection is going away; finish soon. */
static void
sim_stream_close_cb(struct evhttp_connection *evcon, void *arg)
{
	struct sim_stream *st = arg;

	st->evcon = NULL;
	evtimer_del(st->timer);
	sim_stream_arm(st, 0);
}

/*
 * Start streaming reply rp on req; the stream takes over rp's body.  A
 * reset reply announces the whole body's length and sends stream_bytes of
 * it; the others are chunked.
 */
void
sim_stream_start(struct sim *sim, struct evhttp_request *req,
    struct sim_reply *rp, const char *line)
{
	struct sim_stream *st = xcalloc(1, sizeof(*st));
	char num[32];

	st->sim = sim;
	st->req = req;
	st->mode = rp->stream;
	st->body = rp->body;
	buf_init(&rp->body, 0);
	st->total = rp->stream_bytes;
	st->interval_ms = rp->interval_ms;
	st->line = xstrdup(line);
	st->evcon = evhttp_request_get_connection(req);
	if ((st->timer = evtimer_new(sim->base, sim_stream_timer_cb, st)) ==
	    NULL)
		fatalx("%s: evtimer_new failed", __func__);
	TAILQ_INSERT_TAIL(&sim->streams, st, entry);
	log_debug("%s %d (streamed)", line, rp->status);

	if (st->mode == SIM_STREAM_RESET) {
		snprintf(num, sizeof(num), "%zu", st->body.len);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Length", num);
	}
	evhttp_send_reply_start(req, rp->status, NULL);
	if (st->evcon != NULL)
		evhttp_connection_set_closecb(
		    st->evcon, sim_stream_close_cb, st);
	switch (st->mode) {
	case SIM_STREAM_OVERSIZED:
		sim_stream_more(st);
		break;
	case SIM_STREAM_TRICKLE:
		sim_stream_arm(st, st->interval_ms);
		break;
	case SIM_STREAM_RESET:
		if (rp->stream_bytes > 0 && st->body.len > 0)
			sim_stream_send(st, st->body.data,
			    (size_t)rp->stream_bytes, sim_stream_written_cb);
		else
			sim_stream_arm(st, SIM_STREAM_RESET_DELAY_MS);
		break;
	case SIM_STREAM_NONE:
		break;
	}
}

/* At exit: end every stream so that evhttp frees their requests. */
void
sim_streams_free(struct sim *sim)
{
	struct sim_stream *st;

	while ((st = TAILQ_FIRST(&sim->streams)) != NULL)
		sim_stream_finish(st);
}
