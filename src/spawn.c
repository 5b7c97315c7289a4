/*
 * Child processes on the libevent loop, after tmux's job.c: everything the
 * child needs is built before fork(); the child resets its signals, makes
 * its own process group, takes a pipe as stdin and one as stdout+stderr,
 * closes every other descriptor and execs.  The parent reaps from SIGCHLD
 * with a waitpid(-1, WNOHANG) loop, so it owns SIGCHLD for the process.
 */
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "log.h"
#include "monotime.h"
#include "spawn.h"
#include "xmalloc.h"

#define SPAWN_READ_CHUNK 4096
#define SPAWN_READS_PER_TURN 16 /* of a chatty child, per loop turn */
#define SPAWN_READS_AT_EXIT 256 /* a straggler may keep writing */
#define SPAWN_FD_LIMIT 65536    /* closed one by one without close_range */

/* One child: waiting for a slot, running, or killed and left to reap. */
struct spawn_child {
	struct spawn *s; /* NULL once detached (cancelled) */
	char **argv;
	char **envp;
	char *input;
	size_t input_len;
	size_t input_off;
	uint64_t timeout_ms;
	uint64_t grace_ms;
	spawn_fn fn;
	void *fn_arg;
	int nice;
	long uid;
	gid_t gid;
	gid_t *groups;
	size_t ngroups;
	spawn_cb cb;
	void *arg;
	const char *error; /* static; the request cannot run */

	pid_t pid;
	int in_fd;
	int out_fd;
	struct event *in_ev;
	struct event *out_ev;
	struct event *timer; /* the timeout, then the grace period */
	struct buf out;
	uint64_t out_total;
	struct buf tail; /* the last tail_max bytes written */
	size_t tail_max; /* 0: no tail kept */
	uint64_t started_ms;
	int term_sent;
	int kill_sent;
	int timed_out;
	TAILQ_ENTRY(spawn_child) wentry; /* in its pool's waiting list */
	TAILQ_ENTRY(spawn_child) rentry; /* in the reaper's list */
};

/* A pool of children with a cap. */
struct spawn {
	struct event_base *base; /* borrowed */
	unsigned max_running;
	unsigned running;
	size_t nwaiting;
	TAILQ_HEAD(, spawn_child) waiting;
	struct event *kick; /* starts waiting children from the loop */
	int starting;       /* in spawn_kick_cb */
	int freed;          /* spawn_free was called from a callback there */
};

/*
 * SIGCHLD is one per process, and waitpid(-1) reaps every child, so the
 * children of all pools are known here.  Set up by the first pool, torn
 * down with the last.
 */
static struct {
	struct event_base *base;
	struct event *sigchld;
	unsigned refs;
	TAILQ_HEAD(, spawn_child) children; /* forked, not yet reaped */
} spawn_reaper;

static void spawn_kick(struct spawn *s);
static void spawn_destroy(struct spawn *s);

/* Copy a NULL-terminated vector of strings. */
static char **
spawn_vec_dup(const char *const *v)
{
	char **out;
	size_t n = 0, i;

	while (v != NULL && v[n] != NULL)
		n++;
	out = xcalloc(n + 1, sizeof(*out));
	for (i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

/* Free a vector from spawn_vec_dup. */
static void
spawn_vec_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* What a child is, for logs: its program or its label. */
static const char *
spawn_name(const struct spawn_child *c)
{
	return c->argv[0] != NULL ? c->argv[0] : "a child";
}

/* Close a descriptor and free its event, if there are any. */
static void
spawn_close(int *fd, struct event **ev)
{
	if (*ev != NULL) {
		event_free(*ev);
		*ev = NULL;
	}
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

/* Free a child that is in no list. */
static void
spawn_child_free(struct spawn_child *c)
{
	spawn_close(&c->in_fd, &c->in_ev);
	spawn_close(&c->out_fd, &c->out_ev);
	if (c->timer != NULL)
		event_free(c->timer);
	spawn_vec_free(c->argv);
	spawn_vec_free(c->envp);
	if (c->input != NULL)
		xfreezero(c->input, c->input_len);
	free(c->groups);
	buf_free(&c->out);
	buf_free(&c->tail);
	free(c);
}

/* Call the callback of c once with r filled in from c. */
static void
spawn_report(struct spawn_child *c, struct spawn_result *r)
{
	r->output = buf_str(&c->out);
	r->output_len = c->out.len;
	r->output_total = c->out_total;
	if (c->tail_max > 0) {
		r->tail = buf_str(&c->tail);
		r->tail_len = c->tail.len;
	}
	r->pid = c->pid > 0 ? (long)c->pid : 0;
	if (c->started_ms != 0)
		r->duration_ms = monotime_ms() - c->started_ms;
	c->cb(r, c->arg);
}

/* A child that never ran: report error and free it. */
static void
spawn_fail(struct spawn_child *c, const char *error)
{
	struct spawn_result r;

	memset(&r, 0, sizeof(r));
	r.how = SPAWN_ERROR;
	r.status = -1;
	r.error = error;
	spawn_report(c, &r);
	spawn_child_free(c);
}

/* Send sig to the child's whole process group. */
static void
spawn_signal_group(struct spawn_child *c, int sig)
{
	if (c->pid <= 0)
		return;
	if (kill(-c->pid, sig) == -1 && errno != ESRCH)
		log_warn("spawn: kill -%d group %ld", sig, (long)c->pid);
}

/* Keep the last tail_max bytes of what the child wrote, if asked. */
static void
spawn_keep_tail(struct spawn_child *c, const char *p, size_t n)
{
	struct buf *t = &c->tail;
	size_t drop;

	if (c->tail_max == 0)
		return;
	if (n >= c->tail_max) {
		buf_reset(t);
		buf_add(t, p + n - c->tail_max, c->tail_max);
		return;
	}
	if (t->len + n > c->tail_max) {
		drop = t->len + n - c->tail_max;
		memmove(t->data, t->data + drop, t->len - drop);
		t->len -= drop;
		t->data[t->len] = '\0';
	}
	buf_add(t, p, n);
}

/* Keep up to max_output bytes of what the child wrote; count the rest. */
static void
spawn_keep(struct spawn_child *c, const char *p, size_t n)
{
	size_t room = c->out.max - c->out.len;

	spawn_keep_tail(c, p, n);
	c->out_total += n;
	if (n > room)
		n = room;
	if (n > 0)
		buf_add(&c->out, p, n);
}

/* Read what the output pipe holds now, in at most max reads. */
static void
spawn_read(struct spawn_child *c, int max)
{
	char chunk[SPAWN_READ_CHUNK];
	ssize_t n;
	int i;

	for (i = 0; c->out_fd != -1 && i < max; i++) {
		n = read(c->out_fd, chunk, sizeof(chunk));
		if (n > 0) {
			spawn_keep(c, chunk, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		spawn_close(&c->out_fd, &c->out_ev);
	}
}

/* The output pipe is readable. */
static void
spawn_out_cb(evutil_socket_t fd, short what, void *arg)
{
	spawn_read(arg, SPAWN_READS_PER_TURN);
}

/* The input pipe is writable: write more of the input; close at the end. */
static void
spawn_in_cb(evutil_socket_t fd, short what, void *arg)
{
	struct spawn_child *c = arg;
	ssize_t n;

	while (c->input_off < c->input_len) {
		n = write(c->in_fd, c->input + c->input_off,
		    c->input_len - c->input_off);
		if (n > 0) {
			c->input_off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		break; /* EPIPE: the child does not read its input */
	}
	spawn_close(&c->in_fd, &c->in_ev);
}

/* The timeout (TERM the group), then the grace period (KILL it). */
static void
spawn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct spawn_child *c = arg;
	struct timeval tv;

	if (!c->term_sent) {
		c->timed_out = 1;
		c->term_sent = 1;
		spawn_signal_group(c, SIGTERM);
		tv.tv_sec = (time_t)(c->grace_ms / 1000);
		tv.tv_usec = (suseconds_t)((c->grace_ms % 1000) * 1000);
		evtimer_add(c->timer, &tv);
		return;
	}
	if (!c->kill_sent) {
		c->kill_sent = 1;
		spawn_signal_group(c, SIGKILL);
	}
}

/*
 * The child c was reaped with status: a detached one is just freed;
 * otherwise collect the rest of its output and report.  After a TERM the
 * group gets KILL now, so nothing the leader left behind outlives it (the
 * group id cannot be reused while a member lives).
 */
static void
spawn_reaped(struct spawn_child *c, int status)
{
	struct spawn *s = c->s;
	struct spawn_result r;

	TAILQ_REMOVE(&spawn_reaper.children, c, rentry);
	if (c->term_sent && !c->kill_sent)
		spawn_signal_group(c, SIGKILL);
	if (s == NULL) {
		spawn_child_free(c);
		return;
	}
	spawn_read(c, SPAWN_READS_AT_EXIT);
	memset(&r, 0, sizeof(r));
	if (WIFEXITED(status)) {
		r.how = SPAWN_EXITED;
		r.status = WEXITSTATUS(status);
	} else {
		r.how = SPAWN_SIGNALED;
		r.status = WIFSIGNALED(status) ? WTERMSIG(status) : -1;
	}
	if (c->timed_out) {
		r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		r.how = SPAWN_TIMEOUT;
	}
	s->running--;
	spawn_kick(s);
	c->s = NULL;
	spawn_report(c, &r);
	spawn_child_free(c);
}

/* SIGCHLD: reap every child that has exited. */
static void
spawn_sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	struct spawn_child *c;
	pid_t pid;
	int status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		TAILQ_FOREACH (c, &spawn_reaper.children, rentry) {
			if (c->pid == pid)
				break;
		}
		if (c != NULL)
			spawn_reaped(c, status);
	}
}

/* Write a string to fd from the child (async-signal-safe). */
static void
spawn_child_say(int fd, const char *s)
{
	ssize_t n;
	size_t len = strlen(s);

	while (len > 0) {
		n = write(fd, s, len);
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* Report a failed call from the child with errno's name, then _exit. */
static void __attribute__((noreturn))
spawn_child_die(const char *what, const char *arg, int status)
{
	const char *name = strerrorname_np(errno);

	spawn_child_say(STDERR_FILENO, "taskwatchd: ");
	spawn_child_say(STDERR_FILENO, what);
	if (arg != NULL) {
		spawn_child_say(STDERR_FILENO, " ");
		spawn_child_say(STDERR_FILENO, arg);
	}
	spawn_child_say(STDERR_FILENO, ": ");
	spawn_child_say(STDERR_FILENO, name != NULL ? name : "error");
	spawn_child_say(STDERR_FILENO, "\n");
	_exit(status);
}

/*
 * In the child, after fork(): only async-signal-safe calls from here on
 * (but for a function child's own function, see spawn.h).  in_rd and
 * out_wr become 0 and 1+2; everything else is closed.
 */
static void
spawn_child_setup(int in_rd, int out_wr, int maxfd)
{
	struct sigaction sa;
	sigset_t set;
	int sig, fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	(void)sigprocmask(SIG_SETMASK, &set, NULL);
	(void)setpgid(0, 0);

	/* Move both out of 0-2 first, so the dup2s cannot clobber them. */
	if ((in_rd = fcntl(in_rd, F_DUPFD, 3)) == -1 ||
	    (out_wr = fcntl(out_wr, F_DUPFD, 3)) == -1)
		_exit(126);
	if (dup2(in_rd, STDIN_FILENO) == -1 ||
	    dup2(out_wr, STDOUT_FILENO) == -1 ||
	    dup2(out_wr, STDERR_FILENO) == -1)
		_exit(126);
	if (close_range(3, ~0U, 0) == -1) {
		for (fd = 3; fd < maxfd; fd++)
			(void)close(fd);
	}
}

/*
 * The child: set up, lower its priority if asked, then run the function or
 * drop privileges and exec.
 */
static void __attribute__((noreturn))
spawn_child_main(struct spawn_child *c, int in_rd, int out_wr, int maxfd)
{
	int prio;

	spawn_child_setup(in_rd, out_wr, maxfd);
	if (c->nice != 0) {
		/* -1 is a valid priority: only errno tells a failure. */
		errno = 0;
		prio = getpriority(PRIO_PROCESS, 0);
		if (errno == 0)
			(void)setpriority(PRIO_PROCESS, 0, prio + c->nice);
	}
	if (c->fn != NULL)
		_exit(c->fn(c->fn_arg));
	if (c->uid != -1) {
		if (setgroups(c->ngroups, c->groups) == -1)
			spawn_child_die("setgroups", NULL, 126);
		if (setgid(c->gid) == -1)
			spawn_child_die("setgid", NULL, 126);
		if (setuid((uid_t)c->uid) == -1)
			spawn_child_die("setuid", NULL, 126);
	}
	if (chdir("/") == -1)
		spawn_child_die("chdir", "/", 126);
	execve(c->argv[0], c->argv, c->envp);
	spawn_child_die("cannot execute", c->argv[0], 127);
}

/* Make fd non-blocking; -1 on error. */
static int
spawn_nonblock(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

/* Start a child: pipes, fork, events.  Reports and frees it on failure. */
static void
spawn_start(struct spawn *s, struct spawn_child *c)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, maxfd, saved;
	struct rlimit rl;
	struct timeval tv;
	const char *what;

	if (c->error != NULL) {
		spawn_fail(c, c->error);
		return;
	}
	maxfd = SPAWN_FD_LIMIT;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < SPAWN_FD_LIMIT)
		maxfd = (int)rl.rlim_cur;
	what = "pipe";
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1)
		goto fail;
	what = "fcntl";
	if (spawn_nonblock(in[1]) == -1 || spawn_nonblock(out[0]) == -1)
		goto fail;
	what = "fork";
	c->started_ms = monotime_ms();
	if ((c->pid = fork()) == -1)
		goto fail;
	if (c->pid == 0)
		spawn_child_main(c, in[0], out[1], maxfd);

	/* Both sides set the group, so it exists whoever runs first. */
	if (setpgid(c->pid, c->pid) == -1 && errno != EACCES && errno != ESRCH)
		log_warn("spawn: setpgid %ld", (long)c->pid);
	close(in[0]);
	close(out[1]);
	c->in_fd = in[1];
	c->out_fd = out[0];
	TAILQ_INSERT_TAIL(&spawn_reaper.children, c, rentry);
	s->running++;

	c->out_ev = event_new(
	    s->base, c->out_fd, EV_READ | EV_PERSIST, spawn_out_cb, c);
	if (c->out_ev == NULL || event_add(c->out_ev, NULL) == -1)
		fatalx("%s: event_new failed", __func__);
	if (c->input_len > 0) {
		c->in_ev = event_new(
		    s->base, c->in_fd, EV_WRITE | EV_PERSIST, spawn_in_cb, c);
		if (c->in_ev == NULL || event_add(c->in_ev, NULL) == -1)
			fatalx("%s: event_new failed", __func__);
	} else
		spawn_close(&c->in_fd, &c->in_ev);
	if ((c->timer = evtimer_new(s->base, spawn_timer_cb, c)) == NULL)
		fatalx("%s: evtimer_new failed", __func__);
	if (c->timeout_ms != 0) {
		tv.tv_sec = (time_t)(c->timeout_ms / 1000);
		tv.tv_usec = (suseconds_t)((c->timeout_ms % 1000) * 1000);
		evtimer_add(c->timer, &tv);
	}
	log_debug("spawn: started %s as pid %ld", spawn_name(c), (long)c->pid);
	return;

fail:
	saved = errno;
	if (in[0] != -1) {
		close(in[0]);
		close(in[1]);
	}
	if (out[0] != -1) {
		close(out[0]);
		close(out[1]);
	}
	c->pid = 0;
	errno = saved;
	log_warn("spawn: %s for %s", what, spawn_name(c));
	spawn_fail(c, what);
}

/* Start waiting children while there is room. */
static void
spawn_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct spawn *s = arg;
	struct spawn_child *c;

	/* A failed start calls back, and the callback may free the pool. */
	s->starting = 1;
	while (!s->freed && s->running < s->max_running &&
	    (c = TAILQ_FIRST(&s->waiting)) != NULL) {
		TAILQ_REMOVE(&s->waiting, c, wentry);
		s->nwaiting--;
		spawn_start(s, c);
	}
	s->starting = 0;
	if (s->freed)
		spawn_destroy(s);
}

/* Run spawn_kick_cb on the next loop turn. */
static void
spawn_kick(struct spawn *s)
{
	event_active(s->kick, EV_TIMEOUT, 0);
}

/* Take SIGCHLD (and ignore SIGPIPE) for the first pool on base. */
static void
spawn_reaper_ref(struct event_base *base)
{
	struct sigaction sa;

	if (spawn_reaper.refs++ > 0) {
		if (spawn_reaper.base != base)
			fatalx("spawn: pools on two event bases");
		return;
	}
	spawn_reaper.base = base;
	TAILQ_INIT(&spawn_reaper.children);
	/* Writing to a hook that does not read must not kill us. */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	spawn_reaper.sigchld =
	    evsignal_new(base, SIGCHLD, spawn_sigchld_cb, NULL);
	if (spawn_reaper.sigchld == NULL ||
	    evsignal_add(spawn_reaper.sigchld, NULL) == -1)
		fatalx("spawn: cannot handle SIGCHLD");
}

/*
 * Drop a pool's reference; with the last, KILL the groups of children left
 * behind (cancelled, not yet reaped) and stop handling SIGCHLD.
 */
static void
spawn_reaper_unref(void)
{
	struct spawn_child *c;

	if (--spawn_reaper.refs > 0)
		return;
	while ((c = TAILQ_FIRST(&spawn_reaper.children)) != NULL) {
		TAILQ_REMOVE(&spawn_reaper.children, c, rentry);
		spawn_signal_group(c, SIGKILL);
		spawn_child_free(c);
	}
	event_free(spawn_reaper.sigchld);
	spawn_reaper.sigchld = NULL;
	spawn_reaper.base = NULL;
}

/* A pool of children on base running at most max_running at once. */
struct spawn *
spawn_new(struct event_base *base, unsigned max_running)
{
	struct spawn *s;

	s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->max_running = max_running > 0 ? max_running : 1;
	TAILQ_INIT(&s->waiting);
	if ((s->kick = event_new(base, -1, 0, spawn_kick_cb, s)) == NULL)
		fatalx("%s: event_new failed", __func__);
	spawn_reaper_ref(base);
	return s;
}

/* Change the cap; waiting children start if it grew. */
void
spawn_set_max(struct spawn *s, unsigned max_running)
{
	s->max_running = max_running > 0 ? max_running : 1;
	spawn_kick(s);
}

/* Run a child; the request is copied. */
struct spawn_child *
spawn_run(
    struct spawn *s, const struct spawn_request *req, spawn_cb cb, void *arg)
{
	struct spawn_child *c;
	size_t i;

	c = xcalloc(1, sizeof(*c));
	c->argv = spawn_vec_dup(req->argv);
	c->envp = spawn_vec_dup(req->envp);
	if (req->input_len > 0) {
		c->input = xmalloc(req->input_len);
		memcpy(c->input, req->input, req->input_len);
		c->input_len = req->input_len;
	}
	c->timeout_ms = req->timeout_ms;
	c->grace_ms =
	    req->kill_grace_ms != 0 ? req->kill_grace_ms : SPAWN_KILL_GRACE_MS;
	c->nice = req->nice;
	c->uid = req->uid;
	c->gid = (gid_t)req->gid;
	if (req->uid != -1 && req->ngroups > 0) {
		c->groups = xcalloc(req->ngroups, sizeof(*c->groups));
		for (i = 0; i < req->ngroups; i++)
			c->groups[i] = (gid_t)req->groups[i];
		c->ngroups = req->ngroups;
	}
	buf_init(
	    &c->out, req->max_output != 0 ? req->max_output : SPAWN_MAX_OUTPUT);
	c->tail_max = req->keep_tail;
	buf_init(&c->tail, 0);
	c->cb = cb;
	c->arg = arg;
	c->in_fd = c->out_fd = -1;
	c->s = s;
	/* Still reported from the loop: queued, it fails on start. */
	c->fn = req->fn;
	c->fn_arg = req->fn_arg;
	if (c->fn == NULL && (c->argv[0] == NULL || c->argv[0][0] != '/'))
		c->error = "the program is not an absolute path";
	TAILQ_INSERT_TAIL(&s->waiting, c, wentry);
	s->nwaiting++;
	spawn_kick(s);
	return c;
}

/* Block until a started child ends and report it (see spawn.h). */
void
spawn_wait(struct spawn_child *c)
{
	pid_t pid;
	int status;

	if (c->pid == 0) {
		spawn_cancel(c);
		return;
	}
	do
		pid = waitpid(c->pid, &status, 0);
	while (pid == -1 && errno == EINTR);
	if (pid == c->pid)
		spawn_reaped(c, status);
}

/* Cancel a child; its callback fires now with SPAWN_CANCELLED. */
void
spawn_cancel(struct spawn_child *c)
{
	struct spawn *s = c->s;
	struct spawn_result r;
	struct timeval tv;

	memset(&r, 0, sizeof(r));
	r.how = SPAWN_CANCELLED;
	r.status = -1;
	if (c->pid == 0) {
		TAILQ_REMOVE(&s->waiting, c, wentry);
		s->nwaiting--;
		spawn_report(c, &r);
		spawn_child_free(c);
		return;
	}
	/* Running: TERM the group now, KILL after the grace period. */
	s->running--;
	spawn_kick(s);
	c->s = NULL;
	spawn_close(&c->in_fd, &c->in_ev);
	spawn_close(&c->out_fd, &c->out_ev);
	if (!c->term_sent) {
		c->term_sent = 1;
		spawn_signal_group(c, SIGTERM);
		evtimer_del(c->timer);
		tv.tv_sec = (time_t)(c->grace_ms / 1000);
		tv.tv_usec = (suseconds_t)((c->grace_ms % 1000) * 1000);
		evtimer_add(c->timer, &tv);
	}
	spawn_report(c, &r);
	c->cb = NULL;
}

/* Free a pool that has no children left. */
static void
spawn_destroy(struct spawn *s)
{
	event_free(s->kick);
	free(s);
	spawn_reaper_unref();
}

/* Cancel every child of the pool, then free it. */
void
spawn_free(struct spawn *s)
{
	struct spawn_child *c, *next;

	if (s == NULL)
		return;
	while ((c = TAILQ_FIRST(&s->waiting)) != NULL)
		spawn_cancel(c);
	for (c = TAILQ_FIRST(&spawn_reaper.children); c != NULL; c = next) {
		next = TAILQ_NEXT(c, rentry);
		if (c->s == s)
			spawn_cancel(c);
	}
	if (s->starting) {
		s->freed = 1;
		return;
	}
	spawn_destroy(s);
}

/* Children running now. */
unsigned
spawn_running(const struct spawn *s)
{
	return s->running;
}

/* Children waiting for a slot. */
size_t
spawn_waiting(const struct spawn *s)
{
	return s->nwaiting;
}
