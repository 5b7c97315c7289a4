/*
 * Child processes on the libevent loop: argv and envp are built by the
 * caller, the child runs in its own process group with reset signals, a
 * pipe on stdin and one on stdout+stderr, and no other descriptors.  The
 * parent never blocks: pipes are non-blocking, children are reaped from
 * SIGCHLD, and a child past its timeout has its whole group killed.
 */
#ifndef SPAWN_H
#define SPAWN_H

#include <stddef.h>
#include <stdint.h>

#define SPAWN_MAX_OUTPUT 4096    /* default bytes of output kept */
#define SPAWN_KILL_GRACE_MS 5000 /* default between TERM and KILL */

struct event_base;
struct spawn;
struct spawn_child;

/* How a child ended. */
enum spawn_end {
	SPAWN_EXITED,    /* exit status in status */
	SPAWN_SIGNALED,  /* killed by signal status */
	SPAWN_TIMEOUT,   /* past its timeout; its group was killed */
	SPAWN_ERROR,     /* never ran: error says why */
	SPAWN_CANCELLED, /* spawn_cancel or spawn_free */
};

/*
 * What a child made with spawn_request.fn runs instead of exec'ing: in
 * the forked copy of the process (the caller's memory as it was at
 * fork), with reset signals, the pipes as stdin and stdout+stderr and no
 * other descriptor.  Its return is the child's exit status; it must not
 * touch the loop, and should not log (say what failed on stdout).
 */
typedef int (*spawn_fn)(void *arg);

struct spawn_request {
	/* NULL-terminated; argv[0] absolute.  With fn, argv[0] a label. */
	const char *const *argv;
	spawn_fn fn;  /* not NULL: fork and run fn(fn_arg), no exec */
	void *fn_arg; /* borrowed; read in the child only */
	const char *const *envp; /* NULL-terminated, the whole environment */
	const char *input;       /* written to stdin, then EOF; may be NULL */
	size_t input_len;
	uint64_t timeout_ms;    /* 0 = none */
	uint64_t kill_grace_ms; /* TERM to KILL; 0 = SPAWN_KILL_GRACE_MS */
	size_t max_output;      /* bytes kept; 0 = SPAWN_MAX_OUTPUT */
	size_t keep_tail;       /* also keep the last bytes; 0 = no */
	/* Run as these ids (setgroups, setgid, setuid); -1 = unchanged. */
	long uid;
	long gid;
	const long *groups; /* supplementary groups when uid != -1 */
	size_t ngroups;
	int nice; /* added to the child's nice value (capped by the kernel) */
};

struct spawn_result {
	enum spawn_end how;
	int status;         /* exit status, or the signal number */
	int signal;         /* SPAWN_TIMEOUT: the signal that ended it, or 0 */
	const char *output; /* the first max_output bytes, NUL-terminated */
	size_t output_len;
	uint64_t output_total; /* bytes the child wrote in all */
	/* With keep_tail: the last keep_tail bytes written; else NULL. */
	const char *tail;
	size_t tail_len;
	const char *error; /* SPAWN_ERROR; else NULL */
	uint64_t duration_ms;
	long pid; /* 0 if it never ran */
};

/* Called exactly once per spawn_run: on exit, timeout, error or cancel. */
typedef void (*spawn_cb)(const struct spawn_result *r, void *arg);

/*
 * A pool of children on base running at most max_running at once (the
 * rest wait in order).  The first pool takes over SIGCHLD (and ignores
 * SIGPIPE); every pool must use the same base.
 */
struct spawn *spawn_new(struct event_base *base, unsigned max_running);
/* Change the cap; waiting children start if it grew. */
void spawn_set_max(struct spawn *s, unsigned max_running);
/*
 * Cancel every child of the pool (callbacks fire with SPAWN_CANCELLED;
 * running groups get SIGTERM, then SIGKILL once the grace period passes
 * or the last pool is freed), then free it.  NULL is a no-op.
 */
void spawn_free(struct spawn *s);
/*
 * Run a child; the request is copied.  The callback is never called from
 * within spawn_run.
 */
struct spawn_child *spawn_run(
    struct spawn *s, const struct spawn_request *req, spawn_cb cb, void *arg);
/*
 * Block until a started child ends and report it (the callback fires):
 * for shutdown, after the loop, and for children whose output fits a
 * pipe's buffer.  A child not started yet is cancelled.
 */
void spawn_wait(struct spawn_child *c);
/* Cancel a child; its callback fires now with SPAWN_CANCELLED. */
void spawn_cancel(struct spawn_child *c);
/* Children running now, and waiting for a slot. */
unsigned spawn_running(const struct spawn *s);
size_t spawn_waiting(const struct spawn *s);

#endif
