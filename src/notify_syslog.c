/*
 * The syslog notifier: one logfmt line per event through syslog(3), at the
 * priority of the routed severity and the configured facility.  Values from
 * the cloud are quoted and escaped so that no text can start a second line,
 * and the line is capped (the reason is shortened first).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "buf.h"
#include "notify_impl.h"
#include "xmalloc.h"

#define NOTIFY_SYSLOG_LINE_MAX 2048 /* bytes of a line */
#define NOTIFY_SYSLOG_FIELD_MAX 256 /* bytes of other values */
#define NOTIFY_SYSLOG_MIN_KEEP 16   /* a shortened value keeps at least */
#define NOTIFY_SYSLOG_NFIELDS 20

/* The syslog notifier's state. */
struct notify_syslog {
	int facility;
};

/* A key=value of the line; trunc orders what is shortened first (1, 2). */
struct notify_syslog_field {
	const char *key;
	const char *value;
	int trunc;
	size_t limit; /* bytes of the written value */
	size_t len;   /* bytes of the written value */
};

/* 1 if a value must be written in double quotes. */
static int
notify_syslog_needs_quotes(const char *v)
{
	const unsigned char *p;

	if (*v == '\0')
		return 1;
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f || *p == '=' || *p == '"' ||
		    *p == '\\')
			return 1;
	}
	return 0;
}

/* The escaped form of byte c inside quotes, in out; its length. */
static size_t
notify_syslog_escape(unsigned char c, char out[5])
{
	/* A byte with a backslash escape, and the letter after the '\\'. */
	static const char named[][2] = {
		{ '\\', '\\' },
		{ '"', '"' },
		{ '\n', 'n' },
		{ '\r', 'r' },
		{ '\t', 't' },
	};
	size_t i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (c == (unsigned char)named[i][0]) {
			out[0] = '\\';
			out[1] = named[i][1];
			return 2;
		}
	}
	if (c < ' ' || c == 0x7f) {
		snprintf(out, 5, "\\x%02x", c);
		return 4;
	}
	out[0] = (char)c;
	return 1;
}

/*
 * Append value v to b, quoted and escaped as needed, in at most limit bytes:
 * a longer value is cut at a character boundary and ends in "...".  Return
 * the bytes appended.
 */
static size_t
notify_syslog_value(struct buf *b, const char *v, size_t limit)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t start = b->len, full = 0, room, n, i;
	int quote = notify_syslog_needs_quotes(v);
	char piece[5];

	for (i = 0; p[i] != '\0'; i++)
		full += quote ? notify_syslog_escape(p[i], piece) : 1;
	full += quote ? 2 : 0;
	if (quote)
		buf_putc(b, '"');
	if (full <= limit) {
		for (i = 0; p[i] != '\0'; i++) {
			n = quote ? notify_syslog_escape(p[i], piece) : 1;
			buf_add(b, quote ? piece : (const char *)&p[i], n);
		}
	} else {
		/* Room for the text between the quotes and the "...". */
		room = limit > (quote ? 5u : 3u) ? limit - (quote ? 5 : 3) : 0;
		for (i = 0; p[i] != '\0'; i++) {
			n = quote ? notify_syslog_escape(p[i], piece) : 1;
			if (b->len - start - (quote ? 1 : 0) + n > room)
				break;
			buf_add(b, quote ? piece : (const char *)&p[i], n);
		}
		/* Do not leave half a UTF-8 character behind. */
		if ((p[i] & 0xc0) == 0x80) {
			while (b->len > start &&
			    ((unsigned char)b->data[b->len - 1] & 0xc0) == 0x80)
				b->len--;
			if (b->len > start &&
			    (unsigned char)b->data[b->len - 1] >= 0xc0)
				b->len--;
			b->data[b->len] = '\0';
		}
		buf_puts(b, "...");
	}
	if (quote)
		buf_putc(b, '"');
	return b->len - start;
}

/* The length fields[i]'s value takes when written within its limit. */
static size_t
notify_syslog_measure(const struct notify_syslog_field *f)
{
	struct buf b;
	size_t n;

	buf_init(&b, 0);
	n = notify_syslog_value(&b, f->value, f->limit);
	buf_free(&b);
	return n;
}

/* Add a field to the list if its value is there. */
static void
notify_syslog_add(struct notify_syslog_field *f, size_t *n, const char *key,
    const char *value, int trunc)
{
	if (value == NULL || *n >= NOTIFY_SYSLOG_NFIELDS)
		return;
	f[*n].key = key;
	f[*n].value = value;
	f[*n].trunc = trunc;
	f[*n].limit = trunc ? SIZE_MAX : NOTIFY_SYSLOG_FIELD_MAX;
	(*n)++;
}

/*
 * The fields of a task event: the task, its states and its progress (in
 * progress, which must outlive f).
 */
static void
notify_syslog_task_fields(const struct evt *ev, struct notify_syslog_field *f,
    size_t *n, char progress[16])
{
	const struct task *t = &ev->task;
	const char *cluster;

	cluster = t->cluster_name != NULL && *t->cluster_name != '\0'
	    ? t->cluster_name
	    : t->cluster_id;
	if (cluster != NULL && *cluster == '\0')
		cluster = NULL;
	notify_syslog_add(f, n, "task", t->id, 0);
	notify_syslog_add(f, n, "type", t->type, 0);
	notify_syslog_add(f, n, "cluster", cluster, 0);
	switch (ev->kind) {
	case EVT_TRANSITION:
		if (ev->has_previous)
			notify_syslog_add(
			    f, n, "from", task_state_name(ev->prev_state), 0);
		notify_syslog_add(f, n, "to", task_state_name(t->state), 0);
		break;
	case EVT_VANISHED:
	case EVT_REPLACED:
		/* The state it was last seen in. */
		notify_syslog_add(f, n, "from", task_state_name(t->state), 0);
		break;
	default:
		notify_syslog_add(f, n, "to", task_state_name(t->state), 0);
		break;
	}
	notify_syslog_add(f, n, "raw", t->raw_status, 0);
	if (ev->kind == EVT_STALLED && t->progress != TASK_PROGRESS_NONE) {
		snprintf(progress, 16, "%d", t->progress);
		notify_syslog_add(f, n, "progress", progress, 0);
	}
}

/* The fields of ev's line in order, into f; their number. */
static size_t
notify_syslog_fields(
    const struct evt *ev, struct notify_syslog_field *f, char progress[16])
{
	const struct task *t = &ev->task;
	enum config_severity sev;
	size_t n = 0;
	int task_event;

	task_event = ev->has_task && !evt_is_watch_event(ev);
	notify_syslog_add(f, &n, "event", evt_kind_name(ev->kind), 0);
	notify_syslog_add(f, &n, "watch", ev->watch, 0);
	notify_syslog_add(f, &n, "api", ev->api, 0);
	if (task_event)
		notify_syslog_task_fields(ev, f, &n, progress);
	notify_syslog_add(f, &n, "missed", ev->missed ? "true" : "false", 0);
	if (task_event && t->reason != NULL && *t->reason != '\0')
		notify_syslog_add(f, &n, "reason", t->reason, 1);
	if (!task_event && ev->error_class != NULL) {
		/* watch_failed, watch_flapping */
		notify_syslog_add(f, &n, "class", ev->error_class, 0);
		notify_syslog_add(f, &n, "error", ev->error_msg, 2);
	}
	notify_syslog_add(f, &n, "id", ev->id, 0);
	sev = ev->severity;
	if (sev == CONFIG_SEVERITY_UNSET)
		sev = evt_default_severity(ev);
	notify_syslog_add(f, &n, "severity", config_severity_name(sev), 0);
	return n;
}

/* Measure the n fields, then shorten the reason, then the error, to fit. */
static void
notify_syslog_fit(struct notify_syslog_field *f, size_t n)
{
	size_t i, total = 0, over;
	int pass;

	for (i = 0; i < n; i++) {
		f[i].len = notify_syslog_measure(&f[i]);
		total += (i > 0) + strlen(f[i].key) + 1 + f[i].len;
	}
	for (pass = 1; pass <= 2 && total > NOTIFY_SYSLOG_LINE_MAX; pass++) {
		for (i = 0; i < n; i++) {
			if (f[i].trunc != pass)
				continue;
			over = total - NOTIFY_SYSLOG_LINE_MAX;
			f[i].limit = f[i].len > over + NOTIFY_SYSLOG_MIN_KEEP
			    ? f[i].len - over
			    : NOTIFY_SYSLOG_MIN_KEEP;
			total -= f[i].len;
			f[i].len = notify_syslog_measure(&f[i]);
			total += f[i].len;
		}
	}
}

/* The logfmt line the syslog notifier sends for ev; caller frees. */
char *
notify_syslog_format(const struct evt *ev)
{
	struct notify_syslog_field f[NOTIFY_SYSLOG_NFIELDS];
	struct buf b;
	size_t n, i;
	char progress[16];

	n = notify_syslog_fields(ev, f, progress);
	notify_syslog_fit(f, n);
	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&b, ' ');
		buf_printf(&b, "%s=", f[i].key);
		notify_syslog_value(&b, f[i].value, f[i].limit);
	}
	/* Last resort: the fixed fields alone are too long. */
	if (b.len > NOTIFY_SYSLOG_LINE_MAX) {
		b.len = NOTIFY_SYSLOG_LINE_MAX;
		while (
		    b.len > 0 && ((unsigned char)b.data[b.len] & 0xc0) == 0x80)
			b.len--;
		b.data[b.len] = '\0';
	}
	return buf_release(&b);
}

/* Take the facility from conf. */
static void
notify_syslog_configure(
    struct notify_notifier *nf, const struct config_notifier *conf)
{
	struct notify_syslog *s = nf->priv;

	if (s == NULL)
		nf->priv = s = xcalloc(1, sizeof(*s));
	/* 0 is LOG_KERN, which a daemon cannot use: the default then. */
	s->facility = conf->facility != 0 ? conf->facility : LOG_DAEMON;
}

/* The syslog priority of a severity. */
static int
notify_syslog_priority(enum config_severity sev)
{
	switch (sev) {
	case CONFIG_SEVERITY_CRITICAL:
		return LOG_CRIT;
	case CONFIG_SEVERITY_WARNING:
		return LOG_WARNING;
	default:
		return LOG_INFO;
	}
}

/* Send the line for it; synchronous and always delivered. */
static void
notify_syslog_deliver(struct notify_notifier *nf, struct notify_item *it)
{
	struct notify_syslog *s = nf->priv;
	enum config_severity sev = it->ev->severity;
	char *line;

	if (sev == CONFIG_SEVERITY_UNSET)
		sev = evt_default_severity(it->ev);
	line = notify_syslog_format(it->ev);
	syslog(s->facility | notify_syslog_priority(sev), "%s", line);
	free(line);
	notify_item_done(it, NOTIFY_DELIVERED, -1, NULL);
}

/* Free the syslog notifier's state. */
static void
notify_syslog_free(struct notify_notifier *nf)
{
	free(nf->priv);
	nf->priv = NULL;
}

const struct notify_ops notify_syslog_ops = {
	.type = "syslog",
	.configure = notify_syslog_configure,
	.deliver = notify_syslog_deliver,
	.cancel = NULL,
	.free = notify_syslog_free,
};
