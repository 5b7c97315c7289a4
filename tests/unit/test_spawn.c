/*
 * Unit tests for child processes: the test binary runs itself as the child
 * (argv[1] "--child MODE") to dump what it was given.  Exact argv, envp and
 * stdin with hostile bytes, a clean child (own group, no inherited fds,
 * default signals), exit status and signals, the timeout killing the whole
 * group with a grandchild, the output cap, the concurrency cap, errors and
 * cancel.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "buf.h"
#include "monotime.h"
#include "spawn.h"
#include "xmalloc.h"

#define TEST_MAX 16

extern char **environ;

/* What a callback saw. */
struct test_done {
	int called;
	enum spawn_end how;
	int status;
	int signal;
	char *output;
	size_t output_len;
	uint64_t output_total;
	int tail_want; /* expect a tail */
	char *tail;
	size_t tail_len;
	uint64_t duration_ms;
	long pid;
	char *error;
};

static struct {
	struct event_base *base;
	struct spawn *s;
	char self[4096]; /* this binary */
	char dir[64];    /* a scratch directory */
	struct test_done done[TEST_MAX];
	int ndone;
	unsigned max_seen;
} t;

/* The spawn callback: record the result in the test_done given as arg. */
static void
test_cb(const struct spawn_result *r, void *arg)
{
	struct test_done *d = arg;

	assert_int_equal(d->called, 0);
	d->called = 1;
	d->how = r->how;
	d->status = r->status;
	d->signal = r->signal;
	d->output = xmalloc(r->output_len + 1);
	memcpy(d->output, r->output, r->output_len + 1);
	d->output_len = r->output_len;
	d->output_total = r->output_total;
	assert_int_equal(r->tail != NULL, d->tail_want);
	if (r->tail != NULL) {
		d->tail = xmalloc(r->tail_len + 1);
		memcpy(d->tail, r->tail, r->tail_len + 1);
		d->tail_len = r->tail_len;
	}
	d->duration_ms = r->duration_ms;
	d->pid = r->pid;
	d->error = r->error != NULL ? xstrdup(r->error) : NULL;
	t.ndone++;
	if (t.s != NULL && spawn_running(t.s) > t.max_seen)
		t.max_seen = spawn_running(t.s);
}

/* A loop timer: note the most children running at once. */
static void
test_sample_cb(evutil_socket_t fd, short what, void *arg)
{
	if (t.s != NULL && spawn_running(t.s) > t.max_seen)
		t.max_seen = spawn_running(t.s);
}

/* Run the loop until n callbacks came or ms passed; 0 if they came. */
static int
test_run(int n, uint64_t ms)
{
	uint64_t end = monotime_ms() + ms;
	struct timeval tick = { 0, 2000 };
	struct event *sample;

	sample = event_new(t.base, -1, EV_PERSIST, test_sample_cb, NULL);
	event_add(sample, &tick);
	while (t.ndone < n && monotime_ms() < end)
		event_base_loop(t.base, EVLOOP_ONCE);
	event_free(sample);
	return t.ndone >= n ? 0 : -1;
}

/* A fresh loop and pool per test. */
static int
test_setup(void **state)
{
	ssize_t n;

	memset(t.done, 0, sizeof(t.done));
	t.ndone = 0;
	t.max_seen = 0;
	n = readlink("/proc/self/exe", t.self, sizeof(t.self) - 1);
	assert_true(n > 0);
	t.self[n] = '\0';
	snprintf(t.dir, sizeof(t.dir), "/tmp/test_spawn.XXXXXX");
	assert_non_null(mkdtemp(t.dir));
	t.base = event_base_new();
	t.s = spawn_new(t.base, 4);
	return 0;
}

/* Free the pool, the loop and what the callbacks kept. */
static int
test_teardown(void **state)
{
	char cmd[512];
	DIR *d;
	struct dirent *de;
	int i;

	spawn_free(t.s);
	t.s = NULL;
	event_base_free(t.base);
	for (i = 0; i < TEST_MAX; i++) {
		free(t.done[i].output);
		free(t.done[i].tail);
		free(t.done[i].error);
	}
	if ((d = opendir(t.dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(cmd, sizeof(cmd), "%s/%s", t.dir, de->d_name);
			unlink(cmd);
		}
		closedir(d);
	}
	rmdir(t.dir);
	return 0;
}

/* A request running this binary as "--child mode args...". */
static void
test_req(struct spawn_request *req, const char **argv, const char *mode)
{
	static const char *env[] = { "PATH=/usr/bin:/bin", NULL };

	memset(req, 0, sizeof(*req));
	argv[0] = t.self;
	argv[1] = "--child";
	argv[2] = mode;
	req->argv = argv;
	req->envp = env;
	req->uid = -1;
	req->gid = -1;
	req->timeout_ms = 10000;
}

/* 1 if pid is gone or a zombie. */
static int
test_dead(long pid)
{
	char path[64], buf[512], *p;
	FILE *fp;
	int dead = 1;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 1;
	if (fgets(buf, sizeof(buf), fp) != NULL &&
	    (p = strrchr(buf, ')')) != NULL && p[1] == ' ')
		dead = p[2] == 'Z' || p[2] == 'X';
	fclose(fp);
	return dead;
}

/* Read a pid written to path by a child; -1 if not there. */
static long
test_read_pid(const char *path)
{
	FILE *fp;
	long pid = -1;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	if (fscanf(fp, "%ld", &pid) != 1)
		pid = -1;
	fclose(fp);
	return pid;
}

/* argv, envp and stdin arrive byte for byte, nothing else in the env. */
static void
test_exact(void **state)
{
	const char *argv[8];
	const char *env[] = { "PATH=/usr/bin:/bin", "LANG=C.UTF-8",
		"TASKWATCH_REASON=$(touch /tmp/x) `id`; rm -rf / \"'\n"
		"event=forged\x01\xff",
		"EMPTY=", NULL };
	const char *arg = "a b;$(id)`x`'\"\n\t*";
	struct spawn_request req;
	struct buf want;
	char input[300000];
	size_t i;

	test_req(&req, argv, "dump");
	argv[3] = arg;
	argv[4] = "";
	argv[5] = NULL;
	req.envp = env;
	/* More than a pipe holds, with every byte value. */
	for (i = 0; i < sizeof(input); i++)
		input[i] = (char)(i * 7 % 256);
	req.input = input;
	req.input_len = sizeof(input);
	req.max_output = 400000;
	spawn_run(t.s, &req, test_cb, &t.done[0]);
	assert_int_equal(t.ndone, 0); /* never from within spawn_run */
	assert_int_equal(test_run(1, 5000), 0);
	assert_int_equal(t.done[0].how, SPAWN_EXITED);
	assert_int_equal(t.done[0].status, 0);

	buf_init(&want, 0);
	for (i = 0; argv[i] != NULL; i++) {
		buf_putc(&want, 'a');
		buf_add(&want, argv[i], strlen(argv[i]) + 1);
	}
	for (i = 0; env[i] != NULL; i++) {
		buf_putc(&want, 'e');
		buf_add(&want, env[i], strlen(env[i]) + 1);
	}
	buf_putc(&want, 'i');
	buf_add(&want, input, sizeof(input));
	assert_int_equal(t.done[0].output_len, want.len);
	assert_memory_equal(t.done[0].output, want.data, want.len);
	buf_free(&want);
}

/* Own process group, no inherited descriptors, default signals, cwd /. */
static void
test_clean_child(void **state)
{
	const char *argv[8];
	struct spawn_request req;
	int leak;

	/* A descriptor without close-on-exec must not reach the child. */
	leak = open("/dev/null", O_RDONLY);
	assert_true(leak > 2);
	signal(SIGUSR1, SIG_IGN);
	test_req(&req, argv, "clean");
	argv[3] = NULL;
	spawn_run(t.s, &req, test_cb, &t.done[0]);
	assert_int_equal(test_run(1, 5000), 0);
	close(leak);
	signal(SIGUSR1, SIG_DFL);
	assert_int_equal(t.done[0].how, SPAWN_EXITED);
	assert_string_equal(t.done[0].output,
	    "pgid=pid fds=0,1,2 mask=empty usr1=dfl pipe=dfl cwd=/\n");
}

/* Exit status and death by a signal are told apart. */
static void
test_status(void **state)
{
	const char *a1[8], *a2[8];
	struct spawn_request r1, r2;

	test_req(&r1, a1, "exit");
	a1[3] = "42";
	a1[4] = NULL;
	test_req(&r2, a2, "signal");
	a2[3] = NULL;
	spawn_run(t.s, &r1, test_cb, &t.done[0]);
	spawn_run(t.s, &r2, test_cb, &t.done[1]);
	assert_int_equal(test_run(2, 5000), 0);
	assert_int_equal(t.done[0].how, SPAWN_EXITED);
	assert_int_equal(t.done[0].status, 42);
	assert_string_equal(t.done[0].output, "bye\n");
	assert_int_equal(t.done[1].how, SPAWN_SIGNALED);
	assert_int_equal(t.done[1].status, SIGTERM);
}

/*
 * At the timeout the group gets TERM; a leader that dies of it is
 * reported at once and a grandchild that ignores TERM is killed too.
 */
static void
test_timeout_group(void **state)
{
	const char *argv[8];
	struct spawn_request req;
	char pidfile[128];
	long gc;

	snprintf(pidfile, sizeof(pidfile), "%s/gc.pid", t.dir);
	test_req(&req, argv, "forkwait");
	argv[3] = pidfile;
	argv[4] = "term-ok";
	argv[5] = NULL;
	req.timeout_ms = 300;
	req.kill_grace_ms = 3000;
	spawn_run(t.s, &req, test_cb, &t.done[0]);
	assert_int_equal(test_run(1, 5000), 0);
	assert_int_equal(t.done[0].how, SPAWN_TIMEOUT);
	assert_int_equal(t.done[0].signal, SIGTERM);
	/* libevent may use a coarse clock: a few ms early. */
	assert_true(t.done[0].duration_ms >= 290);
	assert_true(t.done[0].duration_ms < 2500);
	gc = test_read_pid(pidfile);
	assert_true(gc > 0);
	/* Re-parented to init, which reaps it; allow it a moment. */
	for (int i = 0; i < 100 && !test_dead(gc); i++)
		usleep(10000);
	assert_true(test_dead(gc));
	assert_true(test_dead(t.done[0].pid));
}

/* A leader ignoring TERM is killed after the grace period, with its child. */
static void
test_timeout_kill(void **state)
{
	const char *argv[8];
	struct spawn_request req;
	char pidfile[128];
	long gc;

	snprintf(pidfile, sizeof(pidfile), "%s/gc.pid", t.dir);
	test_req(&req, argv, "forkwait");
	argv[3] = pidfile;
	argv[4] = "ignore-term";
	argv[5] = NULL;
	req.timeout_ms = 200;
	req.kill_grace_ms = 300;
	spawn_run(t.s, &req, test_cb, &t.done[0]);
	assert_int_equal(test_run(1, 5000), 0);
	assert_int_equal(t.done[0].how, SPAWN_TIMEOUT);
	assert_int_equal(t.done[0].signal, SIGKILL);
	assert_true(t.done[0].duration_ms >= 490);
	assert_string_equal(t.done[0].output, "ready\n");
	gc = test_read_pid(pidfile);
	assert_true(gc > 0);
	for (int i = 0; i < 100 && !test_dead(gc); i++)
		usleep(10000);
	assert_true(test_dead(gc));
}

/* Only the first max_output bytes are kept; the child is never blocked. */
static void
test_output_cap(void **state)
{
	const char *argv[8];
	struct spawn_request req;

	test_req(&req, argv, "spew");
	argv[3] = "2000000";
	argv[4] = NULL;
	spawn_run(t.s, &req, test_cb, &t.done[0]);
	assert_int_equal(test_run(1, 5000), 0);
	assert_int_equal(t.done[0].how, SPAWN_EXITED);
	assert_int_equal(t.done[0].status, 0);
	assert_int_equal(t.done[0].output_len, SPAWN_MAX_OUTPUT);
	assert_int_equal(strlen(t.done[0].output), SPAWN_MAX_OUTPUT);
	assert_int_equal(t.done[0].output_total, 2000000);
	assert_int_equal(t.done[0].output[0], 'x');
}

/* With keep_tail, the last bytes are kept too. */
static void
test_output_tail(void **state)
{
	const char *argv[8];
	struct spawn_request req;
	struct spawn_child *c;

	test_req(&req, argv, "spewend");
	argv[3] = "2000000";
	argv[4] = NULL;
	req.keep_tail = 4096;
	t.done[0].tail_want = 1;
	c = spawn_run(t.s, &req, test_cb, &t.done[0]);
	assert_non_null(c);
	assert_int_equal(test_run(1, 5000), 0);
	assert_int_equal(t.done[0].how, SPAWN_EXITED);
	assert_int_equal(t.done[0].output_len, SPAWN_MAX_OUTPUT);
	assert_int_equal(t.done[0].output[0], 'x');
	assert_int_equal(t.done[0].tail_len, 4096);
	assert_string_equal(t.done[0].tail + 4096 - 4, "END\n");
	assert_int_equal(t.done[0].tail[0], 'x');
}

/* A child that reads no input and exits early does not hurt us. */
static void
test_unread_input(void **state)
{
	const char *argv[8];
	struct spawn_request req;
	static char input[1 << 20];

	memset(input, 'y', sizeof(input));
	test_req(&req, argv, "exit");
	argv[3] = "0";
	argv[4] = NULL;
	req.input = input;
	req.input_len = sizeof(input);
	spawn_run(t.s, &req, test_cb, &t.done[0]);
	assert_int_equal(test_run(1, 5000), 0);
	assert_int_equal(t.done[0].how, SPAWN_EXITED);
	assert_int_equal(t.done[0].status, 0);
}

/* Never more than the cap run at once; the others wait in order. */
static void
test_concurrency(void **state)
{
	const char *argv[8];
	struct spawn_request req;
	char log[128], line[64];
	FILE *fp;
	int i, cur = 0, max = 0, n = 0;

	spawn_set_max(t.s, 2);
	snprintf(log, sizeof(log), "%s/overlap", t.dir);
	test_req(&req, argv, "overlap");
	argv[3] = log;
	argv[4] = NULL;
	for (i = 0; i < 8; i++)
		spawn_run(t.s, &req, test_cb, &t.done[i]);
	assert_int_equal(spawn_waiting(t.s), 8);
	assert_int_equal(test_run(8, 10000), 0);
	assert_true(t.max_seen <= 2);
	assert_non_null(fp = fopen(log, "r"));
	while (fgets(line, sizeof(line), fp) != NULL) {
		cur += line[0] == '+' ? 1 : -1;
		if (cur > max)
			max = cur;
		n++;
	}
	fclose(fp);
	assert_int_equal(n, 16);
	assert_int_equal(max, 2);
	for (i = 0; i < 8; i++)
		assert_int_equal(t.done[i].status, 0);
}

/* A program that cannot run: 127 and why; a relative path never forks. */
static void
test_errors(void **state)
{
	const char *a1[] = { "/nonexistent/hook", "x", NULL };
	const char *a2[] = { "relative/hook", NULL };
	const char *env[] = { NULL };
	struct spawn_request req;

	memset(&req, 0, sizeof(req));
	req.argv = a1;
	req.envp = env;
	req.uid = req.gid = -1;
	spawn_run(t.s, &req, test_cb, &t.done[0]);
	req.argv = a2;
	spawn_run(t.s, &req, test_cb, &t.done[1]);
	assert_int_equal(test_run(2, 5000), 0);
	assert_int_equal(t.done[0].how, SPAWN_EXITED);
	assert_int_equal(t.done[0].status, 127);
	assert_string_equal(t.done[0].output,
	    "taskwatchd: cannot execute /nonexistent/hook: ENOENT\n");
	assert_int_equal(t.done[1].how, SPAWN_ERROR);
	assert_int_equal(t.done[1].pid, 0);
	assert_non_null(strstr(t.done[1].error, "absolute"));
}

/* Cancel: the callback fires at once; the group is killed; free cancels. */
static void
test_cancel(void **state)
{
	const char *argv[8];
	struct spawn_request req;
	struct spawn_child *c1, *c2;
	char pidfile[128];
	long gc, leader;

	snprintf(pidfile, sizeof(pidfile), "%s/gc.pid", t.dir);
	spawn_set_max(t.s, 1);
	test_req(&req, argv, "forkwait");
	argv[3] = pidfile;
	argv[4] = "term-ok";
	argv[5] = NULL;
	c1 = spawn_run(t.s, &req, test_cb, &t.done[0]);
	c2 = spawn_run(t.s, &req, test_cb, &t.done[1]);
	/* Let the first start and write its grandchild's pid. */
	while (test_read_pid(pidfile) <= 0)
		event_base_loop(t.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	gc = test_read_pid(pidfile);
	assert_int_equal(spawn_running(t.s), 1);
	assert_int_equal(spawn_waiting(t.s), 1);
	spawn_cancel(c2);
	assert_int_equal(t.done[1].how, SPAWN_CANCELLED);
	assert_int_equal(t.done[1].pid, 0);
	spawn_cancel(c1);
	assert_int_equal(t.done[0].how, SPAWN_CANCELLED);
	leader = t.done[0].pid;
	assert_true(leader > 0);
	assert_int_equal(spawn_running(t.s), 0);
	/* The SIGCHLD of the leader reaps it; its group is gone. */
	for (int i = 0; i < 200 && !(test_dead(gc) && test_dead(leader)); i++)
		event_base_loop(t.base, EVLOOP_ONCE | EVLOOP_NONBLOCK),
		    usleep(5000);
	assert_true(test_dead(gc));
	assert_true(test_dead(leader));
	assert_int_equal(t.ndone, 2);
}

/* Freeing the pool cancels what runs and waits. */
static void
test_free_running(void **state)
{
	const char *argv[8];
	struct spawn_request req;
	char pidfile[128];
	long gc;

	snprintf(pidfile, sizeof(pidfile), "%s/gc.pid", t.dir);
	spawn_set_max(t.s, 1);
	test_req(&req, argv, "forkwait");
	argv[3] = pidfile;
	argv[4] = "ignore-term";
	argv[5] = NULL;
	spawn_run(t.s, &req, test_cb, &t.done[0]);
	spawn_run(t.s, &req, test_cb, &t.done[1]);
	while (test_read_pid(pidfile) <= 0)
		event_base_loop(t.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	gc = test_read_pid(pidfile);
	spawn_free(t.s);
	t.s = NULL;
	assert_int_equal(t.ndone, 2);
	assert_int_equal(t.done[0].how, SPAWN_CANCELLED);
	assert_int_equal(t.done[1].how, SPAWN_CANCELLED);
	/* The last pool gone, the group got KILL. */
	for (int i = 0; i < 200 && !test_dead(gc); i++)
		usleep(5000);
	assert_true(test_dead(gc));
	/* The leader is ours: reap it here. */
	assert_true(waitpid((pid_t)t.done[0].pid, NULL, 0) > 0);
}

/* What a function child reads and changes (its copy of it). */
static int test_fn_value;

/* A function child: report what it sees on stdout, change it, sleep. */
static int
test_fn(void *arg)
{
	const char *tag = arg;

	dprintf(STDOUT_FILENO, "%s %d %ld", tag, test_fn_value, (long)getpid());
	test_fn_value = -1;
	usleep(200 * 1000);
	return 7;
}

/* A loop timer: count turns while a child runs. */
static void
test_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(*(int *)arg)++;
}

/*
 * A function child runs fn in a copy of the process as it was at fork:
 * its exit status is fn's return, its stdout is kept, its changes stay
 * its own, and the loop goes on while it runs.
 */
static void
test_fn_child(void **state)
{
	static const char *label[] = { "a function", NULL };
	struct spawn_request req;
	struct timeval tv = { 0, 10000 };
	struct event *tick;
	char tag[] = "seen";
	char want[64];
	long pid;
	int ticks = 0;

	memset(&req, 0, sizeof(req));
	req.argv = label;
	req.fn = test_fn;
	req.fn_arg = tag;
	req.uid = req.gid = -1;
	req.timeout_ms = 10000;
	test_fn_value = 41;
	spawn_run(t.s, &req, test_cb, &t.done[0]);
	test_fn_value = 42; /* before the fork, on the next loop turn */
	tick = event_new(t.base, -1, EV_PERSIST, test_tick_cb, &ticks);
	event_add(tick, &tv);
	assert_int_equal(test_run(1, 10000), 0);
	event_free(tick);
	assert_int_equal(t.done[0].how, SPAWN_EXITED);
	assert_int_equal(t.done[0].status, 7);
	pid = t.done[0].pid;
	assert_true(pid > 0 && pid != (long)getpid());
	snprintf(want, sizeof(want), "seen 42 %ld", pid);
	assert_string_equal(t.done[0].output, want);
	assert_int_equal(test_fn_value, 42);
	assert_true(ticks >= 2); /* the loop ran during the child's 200 ms */
}

/* A function child: its nice value on stdout. */
static int
test_nice_fn(void *arg)
{
	dprintf(STDOUT_FILENO, "%d", getpriority(PRIO_PROCESS, 0));
	return 0;
}

/* A child asked to be nicer runs at this process's nice value plus that. */
static void
test_nice(void **state)
{
	static const char *label[] = { "a nice function", NULL };
	struct spawn_request req;
	char want[16];
	int mine, expect;

	errno = 0;
	mine = getpriority(PRIO_PROCESS, 0);
	assert_int_equal(errno, 0);
	expect = mine + 10 > 19 ? 19 : mine + 10;
	memset(&req, 0, sizeof(req));
	req.argv = label;
	req.fn = test_nice_fn;
	req.uid = req.gid = -1;
	req.timeout_ms = 10000;
	req.nice = 10;
	spawn_run(t.s, &req, test_cb, &t.done[0]);
	assert_int_equal(test_run(1, 10000), 0);
	assert_int_equal(t.done[0].how, SPAWN_EXITED);
	snprintf(want, sizeof(want), "%d", expect);
	assert_string_equal(t.done[0].output, want);
	/* Without it, the child keeps ours; and ours did not change. */
	req.nice = 0;
	spawn_run(t.s, &req, test_cb, &t.done[1]);
	assert_int_equal(test_run(2, 10000), 0);
	snprintf(want, sizeof(want), "%d", mine);
	assert_string_equal(t.done[1].output, want);
	assert_int_equal(getpriority(PRIO_PROCESS, 0), mine);
}

/* spawn_wait blocks until the child ends and reports it; unstarted: cancel. */
static void
test_wait(void **state)
{
	static const char *label[] = { "a function", NULL };
	struct spawn_request req;
	struct spawn_child *c1, *c2;
	char tag[] = "waited";

	memset(&req, 0, sizeof(req));
	req.argv = label;
	req.fn = test_fn;
	req.fn_arg = tag;
	req.uid = req.gid = -1;
	spawn_set_max(t.s, 1);
	c1 = spawn_run(t.s, &req, test_cb, &t.done[0]);
	c2 = spawn_run(t.s, &req, test_cb, &t.done[1]);
	while (spawn_running(t.s) == 0)
		event_base_loop(t.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	spawn_wait(c1);
	assert_int_equal(t.done[0].called, 1);
	assert_int_equal(t.done[0].how, SPAWN_EXITED);
	assert_int_equal(t.done[0].status, 7);
	assert_true(test_dead(t.done[0].pid));
	spawn_wait(c2);
	assert_int_equal(t.done[1].how, SPAWN_CANCELLED);
	assert_int_equal(t.ndone, 2);
}

/* Child: write bytes to stdout. */
static void
child_write(const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(STDOUT_FILENO, c, n)) <= 0)
			_exit(3);
		c += w;
		n -= (size_t)w;
	}
}

/* Child: argv, environ and stdin, tagged and NUL-terminated. */
static int
child_dump(int argc, char **argv)
{
	char buf[65536];
	ssize_t n;
	int i;

	for (i = 0; i < argc; i++) {
		child_write("a", 1);
		child_write(argv[i], strlen(argv[i]) + 1);
	}
	for (i = 0; environ[i] != NULL; i++) {
		child_write("e", 1);
		child_write(environ[i], strlen(environ[i]) + 1);
	}
	child_write("i", 1);
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		child_write(buf, (size_t)n);
	return 0;
}

/* Child: describe its process group, descriptors, signals and cwd. */
static int
child_clean(void)
{
	struct sigaction sa;
	sigset_t set;
	DIR *d;
	struct dirent *de;
	struct buf fds;
	char cwd[256], out[512];
	int n, dfd, empty = 1, sig;

	buf_init(&fds, 0);
	d = opendir("/proc/self/fd");
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strtol(de->d_name, NULL, 10) == dfd)
			continue;
		buf_printf(&fds, "%s%s", fds.len > 0 ? "," : "", de->d_name);
	}
	closedir(d);
	sigprocmask(SIG_SETMASK, NULL, &set);
	for (sig = 1; sig < 32; sig++)
		if (sigismember(&set, sig))
			empty = 0;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "?");
	n = snprintf(out, sizeof(out), "pgid=%s fds=%s mask=%s usr1=",
	    getpgrp() == getpid() ? "pid" : "other", buf_str(&fds),
	    empty ? "empty" : "set");
	sigaction(SIGUSR1, NULL, &sa);
	n += snprintf(out + n, sizeof(out) - (size_t)n,
	    "%s pipe=", sa.sa_handler == SIG_DFL ? "dfl" : "changed");
	sigaction(SIGPIPE, NULL, &sa);
	snprintf(out + n, sizeof(out) - (size_t)n, "%s cwd=%s\n",
	    sa.sa_handler == SIG_DFL ? "dfl" : "changed", cwd);
	buf_free(&fds);
	child_write(out, strlen(out));
	return 0;
}

/*
 * Child: fork a grandchild that ignores TERM and writes its pid to a file;
 * the leader says "ready" and waits (ignoring TERM too if told to).
 */
static int
child_forkwait(const char *pidfile, const char *how)
{
	char tmp[256], num[32];
	pid_t gc;
	int fd;

	if ((gc = fork()) == 0) {
		signal(SIGTERM, SIG_IGN);
		for (;;)
			pause();
	}
	if (strcmp(how, "ignore-term") == 0)
		signal(SIGTERM, SIG_IGN);
	snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
	snprintf(num, sizeof(num), "%ld\n", (long)gc);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (write(fd, num, strlen(num)) < 0)
		return 1;
	close(fd);
	rename(tmp, pidfile);
	child_write("ready\n", 6);
	for (;;)
		pause();
}

/* Child: note start and end in a shared file, sleeping in between. */
static int
child_overlap(const char *log)
{
	char line[32];
	int fd;

	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	snprintf(line, sizeof(line), "+%ld\n", (long)getpid());
	if (write(fd, line, strlen(line)) < 0)
		return 1;
	usleep(60000);
	snprintf(line, sizeof(line), "-%ld\n", (long)getpid());
	if (write(fd, line, strlen(line)) < 0)
		return 1;
	close(fd);
	return 0;
}

/* Child: the modes above. */
static int
child_main(int argc, char **argv)
{
	const char *mode = argv[2];
	char chunk[8192];
	long n;

	if (strcmp(mode, "dump") == 0)
		return child_dump(argc, argv);
	if (strcmp(mode, "clean") == 0)
		return child_clean();
	if (strcmp(mode, "exit") == 0) {
		child_write("bye\n", 4);
		return (int)strtol(argv[3], NULL, 10);
	}
	if (strcmp(mode, "signal") == 0) {
		raise(SIGTERM); /* not SEGV: ASan would catch it */
		return 1;
	}
	if (strcmp(mode, "forkwait") == 0)
		return child_forkwait(argv[3], argv[4]);
	if (strcmp(mode, "overlap") == 0)
		return child_overlap(argv[3]);
	if (strcmp(mode, "spewend") == 0) {
		memset(chunk, 'x', sizeof(chunk));
		for (n = strtol(argv[3], NULL, 10) - 4; n > 0;
		     n -= (long)sizeof(chunk))
			child_write(chunk,
			    n < (long)sizeof(chunk) ? (size_t)n
						    : sizeof(chunk));
		child_write("END\n", 4);
		return 0;
	}
	if (strcmp(mode, "spew") == 0) {
		memset(chunk, 'x', sizeof(chunk));
		for (n = strtol(argv[3], NULL, 10); n > 0;
		     n -= (long)sizeof(chunk))
			child_write(chunk,
			    n < (long)sizeof(chunk) ? (size_t)n
						    : sizeof(chunk));
		return 0;
	}
	return 2;
}

/* Run the spawn tests, or be the child. */
int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_exact, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_clean_child, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_status, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_timeout_group, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_timeout_kill, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_output_tail, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_output_cap, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_unread_input, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_concurrency, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_errors, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cancel, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_free_running, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_fn_child, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_wait, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_nice, test_setup, test_teardown),
	};

	if (argc >= 3 && strcmp(argv[1], "--child") == 0)
		return child_main(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
