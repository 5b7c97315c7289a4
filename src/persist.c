/*
 * The state directory of a running daemon: the lock that makes it ours,
 * the saved task table and the outbox, and when the table is saved.  A save
 * is written by a child process (the table as it is at fork, copy-on-write)
 * so the loop never waits for it; a watch's baseline is saved at once, and
 * the table is never saved ahead of a notification it detected.
 */
#include <sys/file.h>
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "durable.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "outbox.h"
#include "persist.h"
#include "spawn.h"
#include "statefile.h"
#include "watch.h"
#include "xmalloc.h"

#define PERSIST_SAVE_NICE 10 /* the save child runs this much nicer */
#define PERSIST_SAVE_MS 1000 /* the task table is saved at most this often */
#define PERSIST_SAVE_MINOR_MS 60000 /* progress-only changes wait this long */
#define PERSIST_SAVE_GAP_FACTOR 20  /* no saving more than 1/20 of the time */
#define PERSIST_SAVE_GAP_MAX_MS 300000 /* ... nor waiting longer than this */
#define PERSIST_SAVE_TIMEOUT_MS 600000 /* a save child stuck this long dies */

/* What a save of the task table covers, taken when it starts. */
struct persist_cover {
	uint64_t changes; /* taskstate_changes() */
	uint64_t major;   /* the same without progress-only changes */
	uint64_t mark;    /* deliveries (outbox_mark) */
	int settled;      /* restored watches detected all again */
	int64_t at;       /* its saved_at stamp */
};

struct persist {
	const struct config *conf;  /* borrowed: the config in use */
	struct taskstate *ts;       /* borrowed */
	persist_release_fn release; /* watches waiting for a save */
	void *release_arg;
	struct statefile *sf;   /* the saved task table */
	struct outbox *ob;      /* undelivered notifications */
	int (*presave)(void *); /* before each save; NULL */
	void *presave_arg;
	struct event *save;         /* saves the table when it changed */
	uint64_t saved_changes;     /* taskstate_changes() at the last save */
	uint64_t saved_major;       /* the same without progress-only changes */
	uint64_t saved_ms;          /* monotonic time of the last save */
	uint64_t save_gap_ms;       /* the next save waits this long after it */
	struct spawn *saver;        /* the child process that writes a save */
	struct spawn_child *saving; /* the save being written, or NULL */
	struct persist_cover cover; /* what that save covers */
	int urgent; /* a baseline waits: save now, whatever the gap */
	pid_t pid;  /* this process, as the save child sees it */
};

/* Open (creating, mode 0600) path in state_dir; -1 with *cause. */
static int
persist_create(const char *dir, const char *path, int flags, char **cause)
{
	int fd;

	if ((fd = open(path, flags | O_CREAT | O_CLOEXEC, 0600)) == -1)
		*cause = xasprintf(
		    "state_dir %s is not writable: %s", dir, strerror(errno));
	return fd;
}

/*
 * Take state_dir/lock (flock, exclusive) and write our pid into it: two
 * daemons on one state directory would both poll, deliver and overwrite
 * each other's saves.  The descriptor is kept (close-on-exec, and every
 * child closes what it does not need) until the process ends.  -1 with
 * *cause when another process holds it, naming its pid.
 */
static int
persist_lock_dir(const char *dir, int *lock_fd, char **cause)
{
	char *path, pidtxt[32];
	ssize_t n;
	int fd, len;

	path = xasprintf("%s/lock", dir);
	fd = persist_create(dir, path, O_RDWR | O_NOFOLLOW, cause);
	free(path);
	if (fd == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			*cause = xasprintf("cannot lock state_dir %s: %s", dir,
			    strerror(errno));
			close(fd);
			return -1;
		}
		n = pread(fd, pidtxt, sizeof(pidtxt) - 1, 0);
		pidtxt[n > 0 ? n : 0] = '\0';
		pidtxt[strcspn(pidtxt, "\n")] = '\0';
		if (pidtxt[0] != '\0' &&
		    strspn(pidtxt, "0123456789") == strlen(pidtxt))
			*cause = xasprintf(
			    "state_dir %s is in use by pid %s", dir, pidtxt);
		else
			*cause = xasprintf(
			    "state_dir %s is in use by another process", dir);
		close(fd);
		return -1;
	}
	len = snprintf(pidtxt, sizeof(pidtxt), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, pidtxt, (size_t)len, 0) != (ssize_t)len) {
		*cause = xasprintf(
		    "cannot write state_dir %s/lock: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	*lock_fd = fd;
	return 0;
}

/*
 * The state directory must exist (made with its parents, mode 0750, if
 * missing), be ours alone (state_dir/lock) and take a new file; -1 with
 * *cause otherwise.
 */
int
persist_check_dir(const char *dir, int *lock_fd, char **cause)
{
	char *probe;
	int fd;

	if (durable_mkdirs(dir, 0750) == -1) {
		*cause = xasprintf(
		    "cannot create state_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (persist_lock_dir(dir, lock_fd, cause) == -1)
		return -1;
	probe = xasprintf("%s/.taskwatchd-probe.%ld", dir, (long)getpid());
	if ((fd = persist_create(dir, probe, O_WRONLY | O_EXCL, cause)) != -1) {
		close(fd);
		unlink(probe);
	}
	free(probe);
	return fd == -1 ? -1 : 0;
}

/*
 * A save covering the table up to change covered ended (durable: written):
 * watches held for their baseline's save poll again.
 */
static void
persist_release(struct persist *p, uint64_t covered, int durable)
{
	p->urgent = p->release(covered, durable, p->release_arg);
	if (p->urgent)
		event_active(p->save, EV_TIMEOUT, 0);
}

/* Call fn(arg) before each save of the table (see persist.h). */
void
persist_set_presave(struct persist *p, int (*fn)(void *), void *arg)
{
	p->presave = fn;
	p->presave_arg = arg;
}

/* A watch took a baseline that must be saved before it polls again. */
void
persist_baselined(struct persist *p)
{
	/* A crash before the save would otherwise take a new, silent one. */
	p->urgent = 1;
	if (p->saving == NULL)
		event_active(p->save, EV_TIMEOUT, 0);
}

/* A save covering cv was written in took_ms: account for it. */
static void
persist_saved(
    struct persist *p, const struct persist_cover *cv, uint64_t took_ms)
{
	p->saved_changes = cv->changes;
	p->saved_major = cv->major;
	p->saved_ms = monotime_ms();
	p->save_gap_ms = took_ms * PERSIST_SAVE_GAP_FACTOR;
	if (p->save_gap_ms > PERSIST_SAVE_GAP_MAX_MS)
		p->save_gap_ms = PERSIST_SAVE_GAP_MAX_MS;
	outbox_saved(p->ob, cv->settled, cv->mark);
	persist_release(p, cv->changes, 1);
}

/*
 * In the save child: write the table as it was at fork.  Nothing to log
 * from here: what failed goes on stdout, for persist_save_done.
 */
static int
persist_save_child(void *arg)
{
	struct persist *p = arg;
	const char *what;

	/*
	 * Die with the daemon: an orphan finishing an old save could
	 * rename it over a newer one, or share the temporary file with
	 * the next daemon's save.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
	    getppid() != p->pid) {
		dprintf(STDOUT_FILENO, "the daemon is gone");
		return 1;
	}
	if (statefile_write(p->sf, p->ts, p->conf, p->cover.at, &what) == 0)
		return 0;
	dprintf(STDOUT_FILENO, "%s: %s", what, strerror(errno));
	return 1;
}

/* The save child ended. */
static void
persist_save_done(const struct spawn_result *r, void *arg)
{
	struct persist *p = arg;
	char *why;

	p->saving = NULL;
	if (r->how == SPAWN_EXITED && r->status == 0) {
		statefile_result(p->sf, 1, NULL);
		log_debug("saved the task table in %llu ms (pid %ld)",
		    (unsigned long long)r->duration_ms, r->pid);
		persist_saved(p, &p->cover, r->duration_ms);
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
	statefile_result(p->sf, 0, why);
	free(why);
	metrics_add(metrics_global(), METRICS_STATE_WRITE_FAILURES, 1, "file",
	    "task_table", NULL);
	p->saved_ms = monotime_ms(); /* retry after the gap, not at once */
	/* Held watches would be blind until the disk recovers: poll on. */
	persist_release(p, 0, 0);
}

/* Start a save covering cv in a child process. */
static void
persist_spawn(struct persist *p, const struct persist_cover *cv)
{
	static const char *const label[] = { "task table save", NULL };
	struct spawn_request req;

	p->cover = *cv;
	memset(&req, 0, sizeof(req));
	req.argv = label;
	req.fn = persist_save_child;
	req.fn_arg = p;
	req.uid = req.gid = -1;
	req.timeout_ms = PERSIST_SAVE_TIMEOUT_MS;
	/*
	 * Background work: where it shares a core with the loop (a pinned
	 * service, a small VM), the loop's polls and deliveries go first.
	 */
	req.nice = PERSIST_SAVE_NICE;
	p->saving = spawn_run(p->saver, &req, persist_save_done, p);
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
persist_save(struct persist *p, int force)
{
	struct persist_cover cv;
	uint64_t now = monotime_ms();
	int urgent = p->urgent; /* a baseline waits for this save */

	if (p->saving != NULL)
		return; /* one at a time; its end calls outbox_saved */
	cv.changes = taskstate_changes(p->ts);
	cv.major = cv.changes - taskstate_minor_changes(p->ts);
	cv.mark = outbox_mark(p->ob);
	/*
	 * Delivered entries dedupe what a restart detects again; that takes
	 * each restored watch up to two listings (a vanish without lookup).
	 */
	cv.settled = taskstate_settled(p->ts, WATCH_ABSENCES_NO_LOOKUP);
	cv.at = monotime_wall_ms() / 1000;
	/* Progress alone moving (a common case) is saved less often. */
	if (cv.major == p->saved_major &&
	    (cv.changes == p->saved_changes ||
		(!force && !urgent &&
		    now - p->saved_ms < PERSIST_SAVE_MINOR_MS))) {
		outbox_saved(p->ob, cv.settled, cv.mark);
		if (urgent)
			persist_release(p, p->saved_changes, 1);
		return;
	}
	if (outbox_degraded(p->ob) ||
	    (p->presave != NULL && p->presave(p->presave_arg) == -1)) {
		if (urgent)
			persist_release(p, 0, 0);
		return;
	}
	/*
	 * Space saves so that saving takes at most 1/20 of the time; a
	 * baseline waiting for its save does not wait for the gap.
	 */
	if (!force && !urgent && now - p->saved_ms < p->save_gap_ms)
		return;
	/* The events of these changes are durable before the table is. */
	outbox_sync(p->ob);
	if (!force) {
		persist_spawn(p, &cv);
		return;
	}
	if (statefile_save(p->sf, p->ts, p->conf, cv.at) == 0)
		persist_saved(p, &cv, monotime_ms() - now);
	else
		metrics_add(metrics_global(), METRICS_STATE_WRITE_FAILURES, 1,
		    "file", "task_table", NULL);
}

/* The save timer: at most one save per PERSIST_SAVE_MS (or the save gap). */
static void
persist_save_cb(evutil_socket_t fd, short what, void *arg)
{
	persist_save(arg, 0);
}

/*
 * Before the first poll: restore the saved task table, open the outbox
 * (which queues again what the previous run did not deliver), start the
 * save timer.  NULL with *cause if the state directory cannot be used.
 */
struct persist *
persist_new(struct event_base *base, const struct config *conf,
    struct taskstate *ts, persist_release_fn release, void *release_arg,
    char **cause)
{
	static const struct timeval every = { PERSIST_SAVE_MS / 1000,
		(PERSIST_SAVE_MS % 1000) * 1000 };
	const char *dir = conf->daemon.state_dir;
	struct persist *p;

	p = xcalloc(1, sizeof(*p));
	p->conf = conf;
	p->ts = ts;
	p->release = release;
	p->release_arg = release_arg;
	p->sf = statefile_new(dir);
	statefile_load(p->sf, ts, conf);
	p->saved_changes = taskstate_changes(ts);
	p->saved_major = p->saved_changes - taskstate_minor_changes(ts);
	p->saved_ms = monotime_ms();
	if ((p->ob = outbox_new(base, dir, cause)) == NULL) {
		persist_free(p);
		return NULL;
	}
	p->saver = spawn_new(base, 1);
	p->pid = getpid();
	p->save = event_new(base, -1, EV_PERSIST, persist_save_cb, p);
	if (p->save == NULL || event_add(p->save, &every) == -1)
		fatalx("cannot add the save timer");
	return p;
}

/* Free; NULL is a no-op.  A save being written is cancelled. */
void
persist_free(struct persist *p)
{
	if (p == NULL)
		return;
	spawn_free(p->saver);
	outbox_free(p->ob);
	statefile_free(p->sf);
	if (p->save != NULL)
		event_free(p->save);
	free(p);
}

/* The config in use changed (a reload): saves follow it. */
void
persist_set_config(struct persist *p, const struct config *conf)
{
	p->conf = conf;
}

/*
 * After the loop (drained or timed out): write what the disk refused so
 * far, then save the table one last time.  Undelivered entries stay in the
 * outbox for the next start.
 */
void
persist_close(struct persist *p)
{
	size_t left;

	/* A save being written finishes first: the last one is written here. */
	if (p->saving != NULL)
		spawn_wait(p->saving);
	outbox_retry(p->ob);
	if (outbox_degraded(p->ob))
		log_at(LOG_CRIT,
		    "the task table is not saved: some "
		    "notifications could not be written to the "
		    "outbox, and the next start must detect them "
		    "again");
	else
		persist_save(p, 1);
	if ((left = outbox_pending(p->ob, NULL)) > 0)
		log_info("%zu undelivered notification%s kept in the outbox "
			 "for the next start",
		    left, left == 1 ? "" : "s");
}

/* The outbox of the state directory (borrowed). */
struct outbox *
persist_outbox(const struct persist *p)
{
	return p->ob;
}

/* What is wrong with the state directory, for the status endpoint, or NULL. */
const char *
persist_problem(const struct persist *p)
{
	if (outbox_degraded(p->ob))
		return "state_dir: notifications are held in memory only "
		       "(the outbox cannot be written)";
	if (!statefile_ok(p->sf))
		return "state_dir: the task table cannot be saved";
	return NULL;
}
