/*
 * The durable outbox.  One directory per notifier (a "box") under
 * {state_dir}/outbox/, one file per entry named {seq:020}-{event id}.json,
 * written crash-safe: temporary file, fsync, rename, and an fsync of the
 * directory before the first delivery attempt.  seq grows across restarts
 * (the larger of the last seq seen plus one and the wall clock in
 * microseconds), so file order is write order and replay keeps each task's
 * events in order.  A delivered entry is renamed to .done and removed once
 * the task table has been saved after it: until then a crash would detect
 * its event again, and the .done file lets the next start recognise it
 * instead of sending it twice.  Once it may go, its file becomes a spare,
 * {seq}-{id}.spare, that the next entry's write takes over (renamed to
 * its temporary name, truncated, written): creating a file per event
 * makes the filesystem allocate an inode each time, which on ext4 with
 * hundreds of files a second costs more CPU than the write itself.  A
 * box keeps at most twice as many spares as it wrote between two saves
 * (OUTBOX_SPARES_MIN..MAX); start removes them.  A dead letter goes to
 * {state_dir}/dead/{notifier}/ with why it was given up and, when the
 * receiver answered, its HTTP status and the first OUTBOX_EXCERPT_MAX
 * bytes of its answer.  The dead letters of each box are counted at start
 * and the count kept as letters come and go, so that a scrape reads no
 * directory.
 */
#include <sys/queue.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "durable.h"
#include "evt.h"
#include "json.h"
#include "hashmap.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "outbox.h"
#include "timer.h"
#include "util.h"
#include "xmalloc.h"

#define OUTBOX_DIR_MODE 0750
#define OUTBOX_RETRY_MIN_MS 1000
#define OUTBOX_RETRY_MAX_MS 10000
#define OUTBOX_LOG_EVERY_MS 60000 /* a lasting failure is logged this often */
#define OUTBOX_MAX_FILE (16 * 1024 * 1024)
#define OUTBOX_SEQ_DIGITS 20
#define OUTBOX_SPARES_MAX 4096     /* spare files kept per box */
#define OUTBOX_SPARES_MIN 16       /* kept however few were written */
#define OUTBOX_SPARES_TRIM 256     /* spares removed per save, at most */
#define OUTBOX_DEAD_LIST_MAX 10000 /* dead letters listed at most */

/* Where an entry stands. */
enum outbox_state {
	OUTBOX_UNSAVED,      /* in memory only: the write failed */
	OUTBOX_STORED,       /* {seq}-{id}.json is on disk */
	OUTBOX_DONE,         /* delivered; {seq}-{id}.done until a save */
	OUTBOX_DEAD_UNSAVED, /* given up; the dead letter is not written */
};

/* One event for one notifier. */
struct outbox_entry {
	struct hashmap_entry hentry; /* first: in the box's by_id */
	struct outbox_box *box;      /* borrowed */
	uint64_t seq;
	char id[EVT_ID_LEN + 1];
	enum outbox_state state;
	int owned;           /* a notification holds it */
	int replayed;        /* detected before this start */
	int stored;          /* the .json file exists */
	int64_t enqueued_at; /* unix seconds */
	uint64_t done_mark;  /* outbox_mark() when delivered; 0: before start */
	char *text;          /* what is still to be written */
	size_t len;
	TAILQ_ENTRY(outbox_entry) entry;
	TAILQ_ENTRY(outbox_entry) unsaved_entry;
};

/* One notifier's directory. */
struct outbox_box {
	struct outbox *ob; /* borrowed */
	char *name;        /* the notifier's */
	char *dirname;     /* under outbox/ and dead/ */
	int fd;            /* outbox/{dirname} */
	int dead_fd;       /* dead/{dirname}; -1 until needed */
	int opened;        /* a notifier took its entries */
	int warned;        /* orphan warning logged */
	int dirty;         /* a rename awaits the directory fsync */
	size_t nfound;     /* entries found at start */
	size_t ndead;      /* dead letters on disk (dead/{dirname}) */
	char **spares;     /* names of files to reuse, a stack */
	size_t nspares;
	size_t capspares;
	size_t nwritten;      /* entries written since the last outbox_saved */
	struct hashmap by_id; /* the entries by event id */
	TAILQ_HEAD(, outbox_entry) entries;
	TAILQ_ENTRY(outbox_box) entry;
};

struct outbox {
	struct event_base *base; /* borrowed */
	char *dir;               /* {state_dir}/outbox */
	char *dead_dir;          /* {state_dir}/dead */
	int fd;
	int dead_fd;
	durable_write_fn write_fn;
	uint64_t next_seq;
	uint64_t ndelivered; /* deliveries so far: the marks */
	TAILQ_HEAD(, outbox_box) boxes;
	TAILQ_HEAD(, outbox_entry) unsaved; /* in write order */
	size_t nunsaved;
	struct timer *retry;
	uint64_t retry_ms;
	int sync_failed;     /* a directory fsync failed */
	uint64_t failing_ms; /* when the trouble began; 0 = none */
	uint64_t logged_ms;  /* last complaint */
	int last_error;      /* errno of the last refused write */
	int settled;
	uint64_t write_failures; /* writes the disk refused, ever */
};

/* The directory name of a notifier: never "." or ".." or hidden. */
static char *
outbox_dirname(const char *notifier)
{
	if (notifier[0] == '.')
		return xasprintf("%%%s", notifier);
	return xstrdup(notifier);
}

/* The notifier of a directory name; NULL if it is not one of ours. */
static char *
outbox_notifier(const char *dirname)
{
	if (dirname[0] == '.' || dirname[0] == '\0')
		return NULL;
	if (dirname[0] == '%')
		return dirname[1] != '\0' ? xstrdup(dirname + 1) : NULL;
	return xstrdup(dirname);
}

/* An entry's file name with a suffix ("json", "done", "tmp", "spare"). */
static char *
outbox_file(const struct outbox_entry *e, const char *suffix)
{
	return xasprintf(
	    "%0*" PRIu64 "-%s.%s", OUTBOX_SEQ_DIGITS, e->seq, e->id, suffix);
}

/*
 * Split a file name "{seq}-{id}.{suffix}"; 0 with seq, id and suffix, -1
 * if it is not an entry's.
 */
static int
outbox_parse_name(const char *name, uint64_t *seq, char id[EVT_ID_LEN + 1],
    const char **suffix)
{
	const char *p = name;
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < OUTBOX_SEQ_DIGITS; i++, p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p++ != '-')
		return -1;
	for (i = 0; i < EVT_ID_LEN; i++, p++) {
		if (strchr("0123456789abcdef", *p) == NULL || *p == '\0')
			return -1;
		id[i] = *p;
	}
	id[EVT_ID_LEN] = '\0';
	if (*p++ != '.')
		return -1;
	*seq = v;
	*suffix = p;
	return 0;
}

/* The box of a notifier, or NULL. */
static struct outbox_box *
outbox_box_find(const struct outbox *ob, const char *notifier)
{
	struct outbox_box *b;

	TAILQ_FOREACH (b, &ob->boxes, entry) {
		if (strcmp(b->name, notifier) == 0)
			return b;
	}
	return NULL;
}

/* A new box for notifier whose directory fd is fd (-1: none yet). */
static struct outbox_box *
outbox_box_new(struct outbox *ob, const char *notifier, int fd)
{
	struct outbox_box *b = xcalloc(1, sizeof(*b));

	b->ob = ob;
	b->name = xstrdup(notifier);
	b->dirname = outbox_dirname(notifier);
	b->fd = fd;
	b->dead_fd = -1;
	hashmap_init(&b->by_id);
	TAILQ_INIT(&b->entries);
	TAILQ_INSERT_TAIL(&ob->boxes, b, entry);
	return b;
}

/* Open (creating) a directory below parent; -1 with errno set. */
static int
outbox_subdir(int parent, const char *name)
{
	if (mkdirat(parent, name, OUTBOX_DIR_MODE) == -1 && errno != EEXIST)
		return -1;
	return openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* The box's directory fd, created if needed; -1 with errno set. */
static int
outbox_box_fd(struct outbox *ob, struct outbox_box *b)
{
	if (b->fd == -1 && (b->fd = outbox_subdir(ob->fd, b->dirname)) != -1)
		ob->sync_failed |= durable_sync_dir(ob->fd) == -1;
	return b->fd;
}

/* The box's dead-letter directory fd, created if needed. */
static int
outbox_box_dead_fd(struct outbox *ob, struct outbox_box *b)
{
	if (b->dead_fd == -1 &&
	    (b->dead_fd = outbox_subdir(ob->dead_fd, b->dirname)) != -1)
		durable_sync_dir(ob->dead_fd);
	return b->dead_fd;
}

/* A new entry in box b, linked in seq order at the end. */
static struct outbox_entry *
outbox_entry_new(struct outbox_box *b, uint64_t seq, const char *id)
{
	struct outbox_entry *e = xcalloc(1, sizeof(*e));

	e->box = b;
	e->seq = seq;
	memcpy(e->id, id, EVT_ID_LEN);
	e->id[EVT_ID_LEN] = '\0';
	hashmap_add(&b->by_id, &e->hentry, e->id);
	TAILQ_INSERT_TAIL(&b->entries, e, entry);
	return e;
}

/* Unlink an entry from its box (and the unsaved list) and free it. */
static void
outbox_entry_free(struct outbox *ob, struct outbox_entry *e)
{
	struct outbox_box *b = e->box;

	hashmap_remove(&b->by_id, &e->hentry);
	TAILQ_REMOVE(&b->entries, e, entry);
	if (e->state == OUTBOX_UNSAVED || e->state == OUTBOX_DEAD_UNSAVED) {
		TAILQ_REMOVE(&ob->unsaved, e, unsaved_entry);
		ob->nunsaved--;
	}
	free(e->text);
	free(e);
}

/*
 * A directory stream over a dup of dirfd, read from its start (the dup
 * shares the offset of earlier reads); NULL, logged as path/sub (sub may
 * be NULL), if it cannot be read.
 */
static DIR *
outbox_opendir(int dirfd, const char *path, const char *sub)
{
	DIR *dir;
	int fd;

	if ((fd = dup(dirfd)) == -1)
		dir = NULL;
	else if ((dir = fdopendir(fd)) == NULL)
		close(fd);
	if (dir == NULL) {
		log_warn("outbox: cannot read %s%s%s", path,
		    sub != NULL ? "/" : "", sub != NULL ? sub : "");
		return NULL;
	}
	rewinddir(dir);
	return dir;
}

/*
 * Scan a box directory left by the previous run: count its entries, note
 * the largest seq, remove temporary files (writes a crash cut short, whose
 * events were never handed to a notifier).
 */
static void
outbox_scan_box(struct outbox *ob, struct outbox_box *b)
{
	struct dirent *de;
	const char *suffix;
	char id[EVT_ID_LEN + 1];
	uint64_t seq;
	DIR *dir;

	if ((dir = outbox_opendir(b->fd, ob->dir, b->dirname)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (outbox_parse_name(de->d_name, &seq, id, &suffix) == -1)
			continue;
		if (strcmp(suffix, "tmp") == 0 ||
		    strcmp(suffix, "spare") == 0) {
			unlinkat(b->fd, de->d_name, 0);
			continue;
		}
		if (seq >= ob->next_seq)
			ob->next_seq = seq + 1;
		if (strcmp(suffix, "json") == 0)
			b->nfound++;
	}
	closedir(dir);
}

/*
 * Call fn with the notifier and an open descriptor (fn's to keep or close)
 * of every box directory in dirfd (path, for the log).
 */
static void
outbox_each_box(struct outbox *ob, int dirfd, const char *path,
    void (*fn)(struct outbox *, const char *, int))
{
	struct dirent *de;
	char *name;
	DIR *dir;
	int fd;

	if ((dir = outbox_opendir(dirfd, path, NULL)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if ((name = outbox_notifier(de->d_name)) == NULL)
			continue;
		fd = openat(dirfd, de->d_name,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd != -1)
			fn(ob, name, fd);
		free(name);
	}
	closedir(dir);
}

/* A box directory of the previous run in outbox/: its entries. */
static void
outbox_scan_cb(struct outbox *ob, const char *name, int fd)
{
	outbox_scan_box(ob, outbox_box_new(ob, name, fd));
}

/* Count the dead letters of a box's directory in dead/. */
static void
outbox_count_dead(struct outbox *ob, struct outbox_box *b)
{
	struct dirent *de;
	const char *suffix;
	char id[EVT_ID_LEN + 1];
	uint64_t seq;
	DIR *dir;

	b->ndead = 0;
	if ((dir = outbox_opendir(b->dead_fd, ob->dead_dir, b->dirname)) ==
	    NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (outbox_parse_name(de->d_name, &seq, id, &suffix) == 0 &&
		    strcmp(suffix, "json") == 0)
			b->ndead++;
	}
	closedir(dir);
}

/* A box directory in dead/, once at start: its count of dead letters. */
static void
outbox_scan_dead_cb(struct outbox *ob, const char *name, int fd)
{
	struct outbox_box *b;

	if ((b = outbox_box_find(ob, name)) == NULL)
		b = outbox_box_new(ob, name, -1);
	if (b->dead_fd != -1)
		close(b->dead_fd);
	b->dead_fd = fd;
	outbox_count_dead(ob, b);
}

/* The retry timer fired: try the refused writes again. */
static void
outbox_retry_cb(void *arg)
{
	outbox_retry(arg);
}

/* The outbox of state_dir (see outbox.h). */
struct outbox *
outbox_new(struct event_base *base, const char *state_dir, char **cause)
{
	struct outbox *ob = xcalloc(1, sizeof(*ob));
	uint64_t now_us;

	ob->base = base;
	ob->fd = ob->dead_fd = -1;
	ob->dir = xasprintf("%s/outbox", state_dir);
	ob->dead_dir = xasprintf("%s/dead", state_dir);
	TAILQ_INIT(&ob->boxes);
	TAILQ_INIT(&ob->unsaved);
	if (durable_mkdirs(ob->dir, OUTBOX_DIR_MODE) == -1 ||
	    (ob->fd = open(ob->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
		-1) {
		*cause = xasprintf("%s: %s", ob->dir, strerror(errno));
		outbox_free(ob);
		return NULL;
	}
	if (durable_mkdirs(ob->dead_dir, OUTBOX_DIR_MODE) == -1 ||
	    (ob->dead_fd = open(
		 ob->dead_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: %s", ob->dead_dir, strerror(errno));
		outbox_free(ob);
		return NULL;
	}
	outbox_each_box(ob, ob->fd, ob->dir, outbox_scan_cb);
	outbox_each_box(ob, ob->dead_fd, ob->dead_dir, outbox_scan_dead_cb);
	now_us = (uint64_t)monotime_wall_ms() * 1000;
	if (ob->next_seq < now_us)
		ob->next_seq = now_us;
	if (base != NULL)
		ob->retry = timer_new(base, outbox_retry_cb, ob);
	return ob;
}

/* Free; entries must have been released.  NULL is a no-op. */
void
outbox_free(struct outbox *ob)
{
	struct outbox_box *b;
	struct outbox_entry *e;

	if (ob == NULL)
		return;
	if (ob->nunsaved > 0)
		log_at(LOG_CRIT,
		    "outbox: %zu notification%s could not be written to %s "
		    "and %s lost unless detected again at the next start",
		    ob->nunsaved, ob->nunsaved == 1 ? "" : "s", ob->dir,
		    ob->nunsaved == 1 ? "is" : "are");
	while ((b = TAILQ_FIRST(&ob->boxes)) != NULL) {
		while ((e = TAILQ_FIRST(&b->entries)) != NULL)
			outbox_entry_free(ob, e);
		TAILQ_REMOVE(&ob->boxes, b, entry);
		if (b->fd != -1)
			close(b->fd);
		if (b->dead_fd != -1)
			close(b->dead_fd);
		while (b->nspares > 0)
			free(b->spares[--b->nspares]);
		free(b->spares);
		hashmap_clear(&b->by_id);
		free(b->name);
		free(b->dirname);
		free(b);
	}
	timer_free(ob->retry);
	if (ob->fd != -1)
		close(ob->fd);
	if (ob->dead_fd != -1)
		close(ob->dead_fd);
	free(ob->dir);
	free(ob->dead_dir);
	free(ob);
}

/* Route entry writes through fn; NULL: write(2). */
void
outbox_set_write_fn(struct outbox *ob, durable_write_fn fn)
{
	ob->write_fn = fn;
}

/* The seq of an entry. */
uint64_t
outbox_entry_seq(const struct outbox_entry *e)
{
	return e->seq;
}

/* The directory holding a notifier's entries (caller frees). */
char *
outbox_box_path(const struct outbox *ob, const char *notifier)
{
	char *d = outbox_dirname(notifier), *p;

	p = xasprintf("%s/%s", ob->dir, d);
	free(d);
	return p;
}

/* Parse an entry file into its event; NULL with *cause. */
static struct evt *
outbox_parse(const char *text, size_t len, int64_t *enqueued_at, char **cause)
{
	struct json *j;
	struct evt *ev;
	const char *s;
	int64_t version;
	int resolve_only;

	if ((j = json_parse(text, len, cause)) == NULL)
		return NULL;
	if (json_int(json_get(j, "version"), 0, &version) == -1 ||
	    version != OUTBOX_VERSION) {
		*cause = xstrdup("unknown version");
		json_free(j);
		return NULL;
	}
	if ((ev = evt_from_json(json_get(j, "event"), cause)) == NULL) {
		json_free(j);
		return NULL;
	}
	ev->obs = xstrdup(json_get_str(j, "obs"));
	if (json_bool(json_get(j, "resolve_only"), &resolve_only) == 0)
		ev->resolve_only = resolve_only;
	*enqueued_at = monotime_wall_ms() / 1000;
	if ((s = json_get_str(j, "enqueued_at")) != NULL)
		util_parse_time(s, 0, enqueued_at);
	json_free(j);
	return ev;
}

/* Move an unreadable entry file to dead/ so that it is looked at. */
static void
outbox_bury(
    struct outbox *ob, struct outbox_box *b, const char *name, const char *why)
{
	int dfd = outbox_box_dead_fd(ob, b);

	if (dfd != -1 && renameat(b->fd, name, dfd, name) == 0) {
		log_at(LOG_CRIT,
		    "outbox: %s/%s/%s cannot be read (%s); moved to %s/%s/",
		    ob->dir, b->dirname, name, why, ob->dead_dir, b->dirname);
		durable_sync_dir(dfd);
		b->ndead++;
		return;
	}
	log_at(LOG_CRIT, "outbox: %s/%s/%s cannot be read (%s); left there",
	    ob->dir, b->dirname, name, why);
}

/* qsort comparison of file names: fixed-width seq first, so by seq. */
static int
outbox_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Open a notifier's box and hand its pending entries to cb, in order. */
size_t
outbox_open(
    struct outbox *ob, const char *notifier, outbox_replay_cb cb, void *arg)
{
	struct outbox_box *b;
	struct outbox_entry *e;
	struct dirent *de;
	const char *suffix;
	char **names = NULL, id[EVT_ID_LEN + 1], *text, *cause;
	size_t n = 0, cap = 0, i, len, handed = 0;
	int64_t enqueued_at;
	uint64_t seq;
	struct evt *ev;
	DIR *dir;

	if ((b = outbox_box_find(ob, notifier)) == NULL)
		b = outbox_box_new(ob, notifier, -1);
	if (b->opened)
		return 0;
	b->opened = 1;
	if (b->fd == -1) {
		/* A new notifier: its directory is made on first write. */
		return 0;
	}
	if ((dir = outbox_opendir(b->fd, ob->dir, b->dirname)) == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL) {
		if (outbox_parse_name(de->d_name, &seq, id, &suffix) == -1 ||
		    (strcmp(suffix, "json") != 0 &&
			strcmp(suffix, "done") != 0))
			continue;
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			names = xreallocarray(names, cap, sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dir);
	if (n > 1)
		qsort(names, n, sizeof(*names), outbox_name_cmp);
	for (i = 0; i < n; i++) {
		outbox_parse_name(names[i], &seq, id, &suffix);
		if (strcmp(suffix, "done") == 0) {
			/* Delivered just before the previous run ended. */
			e = outbox_entry_new(b, seq, id);
			e->state = OUTBOX_DONE;
			e->stored = 1;
			e->replayed = 1;
			continue;
		}
		cause = NULL;
		if ((text = durable_read(
			 b->fd, names[i], OUTBOX_MAX_FILE, &len)) == NULL) {
			outbox_bury(ob, b, names[i], strerror(errno));
			continue;
		}
		ev = outbox_parse(text, len, &enqueued_at, &cause);
		free(text);
		if (ev == NULL || strcmp(ev->id, id) != 0) {
			outbox_bury(ob, b, names[i],
			    cause != NULL ? cause : "event id differs");
			free(cause);
			evt_free(ev);
			continue;
		}
		e = outbox_entry_new(b, seq, id);
		e->state = OUTBOX_STORED;
		e->stored = 1;
		e->replayed = 1;
		e->owned = 1;
		e->enqueued_at = enqueued_at;
		handed++;
		cb(e, ev, enqueued_at, arg);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return handed;
}

/* Log, once, the boxes with entries that no notifier opened. */
void
outbox_warn_orphans(struct outbox *ob)
{
	struct outbox_box *b;

	TAILQ_FOREACH (b, &ob->boxes, entry) {
		if (b->opened || b->warned || b->nfound == 0)
			continue;
		b->warned = 1;
		log_warnx("outbox: %zu undelivered notification%s for "
			  "notifier %s, which is not configured; kept in "
			  "%s/%s",
		    b->nfound, b->nfound == 1 ? "" : "s", b->name, ob->dir,
		    b->dirname);
	}
}

/* 1 if the notifier's box already holds the event id. */
int
outbox_has(const struct outbox *ob, const char *notifier, const char *id)
{
	const struct outbox_box *b;

	if ((b = outbox_box_find(ob, notifier)) == NULL)
		return 0;
	return hashmap_get(&b->by_id, id) != NULL;
}

/*
 * The disk refused a write: complain at once, then at most once every
 * OUTBOX_LOG_EVERY_MS, and make sure the retry timer runs.
 */
static void
outbox_trouble(struct outbox *ob, const char *what, int error)
{
	uint64_t now = monotime_ms();

	ob->last_error = error;
	ob->write_failures++;
	metrics_add(metrics_global(), METRICS_STATE_WRITE_FAILURES, 1, "file",
	    "outbox", NULL);
	if (ob->failing_ms == 0) {
		ob->failing_ms = now;
		ob->retry_ms = OUTBOX_RETRY_MIN_MS;
	}
	if (ob->logged_ms == 0 || now - ob->logged_ms >= OUTBOX_LOG_EVERY_MS) {
		ob->logged_ms = now;
		log_at(LOG_CRIT,
		    "outbox: cannot write %s: %s; %zu notification%s kept in "
		    "memory only (still delivered), retrying",
		    what, strerror(error), ob->nunsaved,
		    ob->nunsaved == 1 ? "" : "s");
	}
	if (ob->retry != NULL && !timer_pending(ob->retry))
		timer_add_ms(ob->retry, ob->retry_ms);
}

/* Put an entry on the list of writes to retry. */
static void
outbox_unsaved_add(struct outbox *ob, struct outbox_entry *e)
{
	TAILQ_INSERT_TAIL(&ob->unsaved, e, unsaved_entry);
	ob->nunsaved++;
}

/* Take an entry off the list of writes to retry. */
static void
outbox_unsaved_remove(struct outbox *ob, struct outbox_entry *e)
{
	TAILQ_REMOVE(&ob->unsaved, e, unsaved_entry);
	ob->nunsaved--;
}

/*
 * Make a spare file the temporary file tmp, so that writing it reuses
 * its inode; without a spare (or if it is gone) tmp is created anew.
 */
static void
outbox_take_spare(struct outbox_box *b, const char *tmp)
{
	char *spare;

	if (b->nspares == 0)
		return;
	spare = b->spares[--b->nspares];
	if (renameat(b->fd, spare, b->fd, tmp) == -1)
		unlinkat(b->fd, spare, 0);
	free(spare);
}

/*
 * Write an entry's file in its box's directory (from a spare file if there
 * is one), or with dead as a dead letter in dead/ (the directory synced
 * too); -1 with errno set.
 */
static int
outbox_write_entry(struct outbox *ob, struct outbox_entry *e, int dead)
{
	struct outbox_box *b = e->box;
	char *name, *tmp;
	int rc, fd;

	fd = dead ? outbox_box_dead_fd(ob, b) : outbox_box_fd(ob, b);
	if (fd == -1)
		return -1;
	name = outbox_file(e, "json");
	tmp = outbox_file(e, "tmp");
	if (!dead)
		outbox_take_spare(b, tmp);
	rc = durable_put(fd, name, tmp, e->text, e->len, dead, ob->write_fn);
	free(name);
	free(tmp);
	if (rc == 0 && !dead) {
		b->dirty = 1;
		b->nwritten++;
		e->stored = 1;
	}
	return rc;
}

/*
 * The receiver's answer as kept in a dead letter: at most
 * OUTBOX_EXCERPT_MAX bytes, cut before an incomplete UTF-8 sequence, with
 * NUL and control characters (a terminal's escapes) replaced by '?'.  The
 * JSON writer escapes the rest.  Caller frees.
 */
char *
outbox_excerpt(const char *body, size_t len)
{
	char *out;
	size_t i, n, need;
	unsigned char c;

	if (len > OUTBOX_EXCERPT_MAX) {
		len = OUTBOX_EXCERPT_MAX;
		/* Back up to the start of a sequence cut by the limit. */
		for (n = 0; n < 3 && len > 0 &&
		     ((unsigned char)body[len - 1] & 0xc0) == 0x80;
		     n++)
			len--;
		c = len > 0 ? (unsigned char)body[len - 1] : 0;
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		if (len > 0 && need > n + 1)
			len--;
		else
			len += n;
	}
	out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		c = (unsigned char)body[i];
		out[i] = (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f
		    ? '?'
		    : (char)c;
	}
	out[len] = '\0';
	return out;
}

/* The entry file's text: the event document and what replay needs. */
static char *
outbox_text(const struct outbox_entry *e, const struct evt *ev,
    const char *body, size_t *len, unsigned attempts, const char *reason,
    int64_t dead_at, const struct outbox_answer *ans)
{
	struct json_writer *w;
	char *out, *excerpt;

	w = json_writer_new();
	json_w_obj_open(w);
	json_w_kint(w, "version", OUTBOX_VERSION);
	json_w_kstr(w, "notifier", e->box->name);
	json_w_kint(w, "seq", (int64_t)e->seq);
	json_w_kstr(w, "rule", ev->rule);
	json_w_kstr(w, "severity", config_severity_name(ev->severity));
	json_w_ktime(w, "enqueued_at", e->enqueued_at);
	json_w_kstr(w, "obs", ev->obs);
	if (ev->resolve_only)
		json_w_kbool(w, "resolve_only", 1);
	if (reason != NULL) {
		json_w_ktime(w, "dead_at", dead_at);
		json_w_kint(w, "attempts", attempts);
		json_w_kstr(w, "reason", reason);
		if (ans != NULL && ans->status > 0)
			json_w_kint(w, "http_status", ans->status);
		if (ans != NULL && ans->body != NULL) {
			excerpt = outbox_excerpt(ans->body, ans->len);
			json_w_kstr(w, "response", excerpt);
			free(excerpt);
		}
	}
	json_w_key(w, "event");
	json_w_raw(w, body);
	json_w_obj_close(w);
	out = json_writer_line(w, len);
	json_writer_free(w);
	return out;
}

/* Write ev to the notifier's box before any delivery attempt. */
struct outbox_entry *
outbox_add(struct outbox *ob, const char *notifier, const struct evt *ev,
    const char *body, size_t len, int64_t now_s)
{
	struct outbox_box *b;
	struct outbox_entry *e;
	char *what;

	if ((b = outbox_box_find(ob, notifier)) == NULL) {
		b = outbox_box_new(ob, notifier, -1);
		b->opened = 1;
	}
	e = outbox_entry_new(b, ob->next_seq++, ev->id);
	e->owned = 1;
	e->enqueued_at = now_s;
	e->text = outbox_text(e, ev, body, &e->len, 0, NULL, 0, NULL);
	/* While in trouble, keep write order: queue behind the others. */
	if (ob->nunsaved == 0) {
		if (outbox_write_entry(ob, e, 0) == 0) {
			e->state = OUTBOX_STORED;
			free(e->text);
			e->text = NULL;
			return e;
		}
		ob->last_error = errno;
	}
	e->state = OUTBOX_UNSAVED;
	outbox_unsaved_add(ob, e);
	what = xasprintf("%s/%s", ob->dir, b->dirname);
	outbox_trouble(ob, what, ob->last_error);
	free(what);
	return e;
}

/* Make the entries written so far durable: fsync the dirty directories. */
int
outbox_sync(struct outbox *ob)
{
	struct outbox_box *b;
	int rc = 0;

	TAILQ_FOREACH (b, &ob->boxes, entry) {
		if (!b->dirty)
			continue;
		if (durable_sync_dir(b->fd) == -1) {
			metrics_add(metrics_global(),
			    METRICS_STATE_WRITE_FAILURES, 1, "file", "outbox",
			    NULL);
			if (!ob->sync_failed)
				log_at(LOG_CRIT,
				    "outbox: cannot sync %s/%s: %s", ob->dir,
				    b->dirname, strerror(errno));
			ob->sync_failed = 1;
			rc = -1;
			continue;
		}
		b->dirty = 0;
	}
	if (rc == 0)
		ob->sync_failed = 0;
	return rc;
}

/* Remove an entry's stored .json file (the directory sync comes later). */
static void
outbox_unlink(struct outbox_entry *e, const char *suffix)
{
	char *name = outbox_file(e, suffix);

	if (unlinkat(e->box->fd, name, 0) == -1 && errno != ENOENT)
		log_warn("outbox: cannot remove %s/%s/%s", e->box->ob->dir,
		    e->box->dirname, name);
	free(name);
}

/* Delivered: the entry leaves the box (see outbox.h). */
void
outbox_delivered(struct outbox_entry *e)
{
	struct outbox *ob = e->box->ob;
	char *from, *to;

	e->owned = 0;
	e->done_mark = ++ob->ndelivered;
	if (!e->stored) {
		/* Delivered before the disk took it: nothing to remove. */
		outbox_entry_free(ob, e);
		return;
	}
	from = outbox_file(e, "json");
	to = outbox_file(e, "done");
	/* Kept as .done until the task table is saved (see the top). */
	if (renameat(e->box->fd, from, e->box->fd, to) == 0)
		e->state = OUTBOX_DONE;
	else {
		outbox_unlink(e, "json");
		e->state = OUTBOX_DONE;
		e->stored = 0;
	}
	free(from);
	free(to);
}

/* The dead letter of an entry is written: the entry itself goes. */
static char *
outbox_buried(struct outbox *ob, struct outbox_entry *e)
{
	char *name = outbox_file(e, "json"), *path;

	path = xasprintf("%s/%s/%s", ob->dead_dir, e->box->dirname, name);
	free(name);
	e->box->ndead++;
	if (e->stored)
		outbox_unlink(e, "json");
	outbox_entry_free(ob, e);
	return path;
}

/* Given up: move the entry to dead/ (see outbox.h). */
char *
outbox_dead(struct outbox_entry *e, const struct evt *ev, unsigned attempts,
    const char *reason, const struct outbox_answer *ans, int64_t now_s)
{
	struct outbox *ob = e->box->ob;
	char *body, *what;
	size_t len;

	e->owned = 0;
	body = evt_to_json(ev, &len);
	free(e->text);
	e->text = outbox_text(e, ev, body, &e->len, attempts,
	    reason != NULL ? reason : "unknown error", now_s, ans);
	free(body);
	if (e->state != OUTBOX_UNSAVED && ob->nunsaved == 0) {
		if (outbox_write_entry(ob, e, 1) == 0)
			return outbox_buried(ob, e);
		ob->last_error = errno;
	}
	if (e->state != OUTBOX_UNSAVED)
		outbox_unsaved_add(ob, e);
	e->state = OUTBOX_DEAD_UNSAVED;
	what = xasprintf("%s/%s", ob->dead_dir, e->box->dirname);
	outbox_trouble(ob, what, ob->last_error);
	free(what);
	return NULL;
}

/* The caller stops holding e; the file stays for the next start. */
void
outbox_release(struct outbox_entry *e)
{
	e->owned = 0;
	/* Not written yet: kept in memory, outbox_retry may still do it. */
	if (e->state == OUTBOX_STORED)
		outbox_entry_free(e->box->ob, e);
}

/* Try the writes the disk refused again now; 0 if none is left. */
int
outbox_retry(struct outbox *ob)
{
	struct outbox_entry *e;
	char *path;
	int rc;

	while ((e = TAILQ_FIRST(&ob->unsaved)) != NULL) {
		if (e->state == OUTBOX_DEAD_UNSAVED) {
			if ((rc = outbox_write_entry(ob, e, 1)) == 0) {
				path = outbox_buried(ob, e);
				log_info(
				    "outbox: dead letter written to %s", path);
				free(path);
				continue;
			}
		} else if ((rc = outbox_write_entry(ob, e, 0)) == 0) {
			outbox_unsaved_remove(ob, e);
			free(e->text);
			e->text = NULL;
			e->state = OUTBOX_STORED;
			if (!e->owned)
				outbox_entry_free(ob, e);
			continue;
		}
		ob->last_error = errno;
		if (ob->retry_ms < OUTBOX_RETRY_MAX_MS)
			ob->retry_ms *= 2;
		if (ob->retry_ms > OUTBOX_RETRY_MAX_MS)
			ob->retry_ms = OUTBOX_RETRY_MAX_MS;
		outbox_trouble(ob, ob->dir, ob->last_error);
		return -1;
	}
	if (ob->failing_ms != 0) {
		log_info("outbox: writing to %s again after %llu s; every "
			 "pending notification is stored",
		    ob->dir,
		    (unsigned long long)((monotime_ms() - ob->failing_ms) /
			1000));
		ob->failing_ms = 0;
		ob->logged_ms = 0;
	}
	if (ob->retry != NULL)
		timer_del(ob->retry);
	return 0;
}

/* Where deliveries stand now, for outbox_saved. */
uint64_t
outbox_mark(const struct outbox *ob)
{
	return ob->ndelivered;
}

/* A delivered entry's .done file may go: keep it as a spare if wanted. */
static void
outbox_retire(struct outbox_box *b, struct outbox_entry *e, size_t keep)
{
	char *from, *to;

	if (b->nspares >= keep) {
		outbox_unlink(e, "done");
		return;
	}
	from = outbox_file(e, "done");
	to = outbox_file(e, "spare");
	if (renameat(b->fd, from, b->fd, to) == 0) {
		if (b->nspares == b->capspares) {
			b->capspares = b->capspares ? b->capspares * 2 : 16;
			b->spares = xreallocarray(
			    b->spares, b->capspares, sizeof(*b->spares));
		}
		b->spares[b->nspares++] = to;
	} else {
		outbox_unlink(e, "done");
		free(to);
	}
	free(from);
}

/*
 * The spares a box keeps: twice what it wrote since the last save (the
 * next interval's writes, with room for a burst), within the bounds.
 */
static size_t
outbox_spares_wanted(const struct outbox_box *b)
{
	size_t n = b->nwritten * 2;

	if (n < OUTBOX_SPARES_MIN)
		n = OUTBOX_SPARES_MIN;
	return n > OUTBOX_SPARES_MAX ? OUTBOX_SPARES_MAX : n;
}

/* The task table was saved: forget the delivered entries it covers. */
void
outbox_saved(struct outbox *ob, int settled, uint64_t mark)
{
	struct outbox_box *b;
	struct outbox_entry *e, *next;
	size_t keep, n;

	if (settled)
		ob->settled = 1;
	TAILQ_FOREACH (b, &ob->boxes, entry) {
		keep = outbox_spares_wanted(b);
		b->nwritten = 0;
		/*
		 * After a burst, the spares it left shrink back, a few
		 * hundred a save so that the loop is not held removing
		 * thousands at once.
		 */
		for (n = 0; b->nspares > keep && n < OUTBOX_SPARES_TRIM; n++) {
			unlinkat(b->fd, b->spares[--b->nspares], 0);
			free(b->spares[b->nspares]);
		}
		for (e = TAILQ_FIRST(&b->entries); e != NULL; e = next) {
			next = TAILQ_NEXT(e, entry);
			if (e->state != OUTBOX_DONE || e->done_mark > mark ||
			    (e->replayed && !ob->settled))
				continue;
			if (e->stored)
				outbox_retire(b, e, keep);
			outbox_entry_free(ob, e);
		}
	}
}

/* 1 while some event or dead letter is in memory only. */
int
outbox_degraded(const struct outbox *ob)
{
	return ob->nunsaved > 0 || ob->sync_failed;
}

/* Entries not delivered yet of a notifier (NULL: all). */
size_t
outbox_pending(const struct outbox *ob, const char *notifier)
{
	const struct outbox_box *b;
	const struct outbox_entry *e;
	size_t n = 0;

	TAILQ_FOREACH (b, &ob->boxes, entry) {
		if (notifier != NULL && strcmp(b->name, notifier) != 0)
			continue;
		TAILQ_FOREACH (e, &b->entries, entry)
			n += e->state == OUTBOX_UNSAVED ||
			    e->state == OUTBOX_STORED;
	}
	return n;
}

/* Call cb with the figures of every box, in the order they were found. */
void
outbox_foreach_box(const struct outbox *ob,
    void (*cb)(const struct outbox_box_stats *st, void *arg), void *arg)
{
	const struct outbox_box *b;
	const struct outbox_entry *e;
	struct outbox_box_stats st;

	TAILQ_FOREACH (b, &ob->boxes, entry) {
		memset(&st, 0, sizeof(st));
		st.name = b->name;
		st.dead = b->ndead;
		/* Entries are in seq order: the first pending is the oldest. */
		TAILQ_FOREACH (e, &b->entries, entry) {
			if (e->state != OUTBOX_UNSAVED &&
			    e->state != OUTBOX_STORED)
				continue;
			if (st.pending++ == 0 ||
			    e->enqueued_at < st.oldest_pending_at)
				st.oldest_pending_at = e->enqueued_at;
		}
		cb(&st, arg);
	}
}

/* Dead letters on disk of a notifier (NULL: all). */
size_t
outbox_dead_count(const struct outbox *ob, const char *notifier)
{
	const struct outbox_box *b;
	size_t n = 0;

	TAILQ_FOREACH (b, &ob->boxes, entry) {
		if (notifier == NULL || strcmp(b->name, notifier) == 0)
			n += b->ndead;
	}
	return n;
}

/* The dead letter file names of a box, sorted (so oldest first). */
static char **
outbox_dead_names(struct outbox *ob, struct outbox_box *b, size_t *n)
{
	struct dirent *de;
	const char *suffix;
	char **names = NULL, id[EVT_ID_LEN + 1];
	size_t cap = 0;
	uint64_t seq;
	DIR *dir;
	int fd;

	*n = 0;
	if (b->dead_fd == -1)
		return NULL;
	if ((fd = dup(b->dead_fd)) == -1 || (dir = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		log_warn("outbox: cannot read %s/%s", ob->dead_dir, b->dirname);
		return NULL;
	}
	rewinddir(dir);
	while ((de = readdir(dir)) != NULL) {
		if (outbox_parse_name(de->d_name, &seq, id, &suffix) == -1 ||
		    strcmp(suffix, "json") != 0)
			continue;
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			names = xreallocarray(names, cap, sizeof(*names));
		}
		names[(*n)++] = xstrdup(de->d_name);
	}
	closedir(dir);
	if (*n > 1)
		qsort(names, *n, sizeof(*names), outbox_name_cmp);
	return names;
}

/* Free a list of names. */
static void
outbox_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Fill in one dead letter of box b from its file name. */
static void
outbox_dead_read(struct outbox *ob, struct outbox_box *b, const char *name,
    struct outbox_dead_letter *dl)
{
	struct json *j = NULL;
	const char *suffix, *s;
	char *text;
	uint64_t seq;
	int64_t v;
	size_t len;

	(void)ob;
	memset(dl, 0, sizeof(*dl));
	dl->id = xstrndup(name, strlen(name) - strlen(".json"));
	dl->notifier = xstrdup(b->name);
	outbox_parse_name(name, &seq, dl->event_id, &suffix);
	if ((text = durable_read(b->dead_fd, name, OUTBOX_MAX_FILE, &len)) !=
	    NULL)
		j = json_parse(text, len, NULL);
	free(text);
	if (j == NULL) {
		dl->reason = xstrdup("unreadable entry");
		return;
	}
	if ((s = json_get_str(j, "dead_at")) != NULL)
		util_parse_time(s, 0, &dl->dead_at);
	if (json_int(json_get(j, "attempts"), 0, &v) == 0 && v >= 0)
		dl->attempts = (unsigned)v;
	if (json_int(json_get(j, "http_status"), 0, &v) == 0)
		dl->http_status = (long)v;
	s = json_get_str(j, "reason");
	dl->reason = xstrdup(s != NULL ? s : "unreadable entry");
	if ((s = json_get_str(j, "response")) != NULL)
		dl->response = xstrdup(s);
	json_free(j);
}

/* The dead letters of a notifier (NULL: all), oldest first per notifier. */
struct outbox_dead_letter *
outbox_dead_list(struct outbox *ob, const char *notifier, size_t *n)
{
	struct outbox_dead_letter *v = NULL;
	struct outbox_box *b;
	char **names;
	size_t i, nn, cap = 0;

	*n = 0;
	TAILQ_FOREACH (b, &ob->boxes, entry) {
		if (notifier != NULL && strcmp(b->name, notifier) != 0)
			continue;
		names = outbox_dead_names(ob, b, &nn);
		for (i = 0; i < nn && *n < OUTBOX_DEAD_LIST_MAX; i++) {
			if (*n == cap) {
				cap = cap == 0 ? 16 : cap * 2;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			outbox_dead_read(ob, b, names[i], &v[(*n)++]);
		}
		outbox_names_free(names, nn);
	}
	return v;
}

/* Free what outbox_dead_list returned. */
void
outbox_dead_list_free(struct outbox_dead_letter *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].notifier);
		free(v[i].reason);
		free(v[i].response);
	}
	free(v);
}

/*
 * Move one dead letter (file name) of box b back to its outbox as a new
 * pending entry, enqueued now; 0, or -1 with *cause.
 */
static int
outbox_revive(struct outbox *ob, struct outbox_box *b, const char *name,
    outbox_requeue_cb cb, void *arg, char **cause)
{
	struct outbox_entry *e;
	struct evt *ev;
	char *text, *body, *why = NULL, id[EVT_ID_LEN + 1];
	const char *suffix;
	int64_t enqueued_at;
	uint64_t seq;
	size_t len;

	outbox_parse_name(name, &seq, id, &suffix);
	if ((text = durable_read(b->dead_fd, name, OUTBOX_MAX_FILE, &len)) ==
	    NULL) {
		*cause = xasprintf("%s/%s/%s: %s", ob->dead_dir, b->dirname,
		    name, strerror(errno));
		return -1;
	}
	ev = outbox_parse(text, len, &enqueued_at, &why);
	free(text);
	if (ev == NULL || strcmp(ev->id, id) != 0) {
		*cause = xasprintf("%s/%s/%s: %s", ob->dead_dir, b->dirname,
		    name, why != NULL ? why : "event id differs");
		free(why);
		evt_free(ev);
		return -1;
	}
	e = outbox_entry_new(b, ob->next_seq++, ev->id);
	e->enqueued_at = monotime_wall_ms() / 1000;
	body = evt_to_json(ev, &len);
	e->text = outbox_text(e, ev, body, &e->len, 0, NULL, 0, NULL);
	free(body);
	/* Durable in outbox/ before it leaves dead/: never in neither. */
	if (outbox_write_entry(ob, e, 0) == -1 ||
	    durable_sync_dir(b->fd) == -1) {
		*cause = xasprintf(
		    "%s/%s: %s", ob->dir, b->dirname, strerror(errno));
		metrics_add(metrics_global(), METRICS_STATE_WRITE_FAILURES, 1,
		    "file", "outbox", NULL);
		if (e->stored)
			outbox_unlink(e, "json");
		outbox_entry_free(ob, e);
		evt_free(ev);
		return -1;
	}
	b->dirty = 0;
	free(e->text);
	e->text = NULL;
	e->state = OUTBOX_STORED;
	if (unlinkat(b->dead_fd, name, 0) == -1 && errno != ENOENT)
		log_warn("outbox: cannot remove %s/%s/%s", ob->dead_dir,
		    b->dirname, name);
	else if (b->ndead > 0)
		b->ndead--;
	durable_sync_dir(b->dead_fd);
	log_info("outbox: dead letter %s/%s/%s queued again as %s/%s",
	    ob->dead_dir, b->dirname, name, b->name, e->id);
	if (cb == NULL) {
		/* Its file is delivered at the next start. */
		outbox_entry_free(ob, e);
		evt_free(ev);
		return 0;
	}
	e->owned = 1;
	cb(b->name, e, ev, e->enqueued_at, arg);
	return 0;
}

/* 1 if the dead letter file name is the one id names (see outbox.h). */
static int
outbox_dead_match(const char *name, const char *id)
{
	size_t n;

	if (id == NULL)
		return 1;
	n = strlen(id);
	/* {seq}-{event id}.json: the whole stem, or the event id. */
	if (strncmp(name, id, n) == 0 && strcmp(name + n, ".json") == 0)
		return 1;
	return n == EVT_ID_LEN &&
	    strncmp(name + OUTBOX_SEQ_DIGITS + 1, id, n) == 0;
}

/* Queue dead letters again (see outbox.h). */
int
outbox_dead_retry(struct outbox *ob, const char *notifier, const char *id,
    outbox_requeue_cb cb, void *arg, size_t *n, char **cause)
{
	struct outbox_box *b;
	char **names, *why;
	size_t i, nn, matched = 0;
	int rc = 0;

	*n = 0;
	*cause = NULL;
	TAILQ_FOREACH (b, &ob->boxes, entry) {
		if (notifier != NULL && strcmp(b->name, notifier) != 0)
			continue;
		names = outbox_dead_names(ob, b, &nn);
		for (i = 0; i < nn; i++) {
			if (id != NULL && !outbox_dead_match(names[i], id))
				continue;
			matched++;
			why = NULL;
			if (outbox_revive(ob, b, names[i], cb, arg, &why) ==
			    0) {
				(*n)++;
				continue;
			}
			rc = -1;
			if (*cause == NULL)
				*cause = why;
			else
				free(why);
		}
		outbox_names_free(names, nn);
	}
	if (id != NULL && matched == 0) {
		*cause = notifier != NULL
		    ? xasprintf(
			  "no dead letter %s for notifier %s", id, notifier)
		    : xasprintf("no dead letter %s", id);
		return -1;
	}
	return rc;
}
