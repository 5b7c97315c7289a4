/*
 * Unit tests for the exec notifier, through notify.c on a real loop: the
 * hook is this test binary run as "--child MODE DIR".  The exact
 * environment and stdin with hostile bytes, root refused without
 * allow_root, exit 0 / 75 / other, the timeout, cooldown per task, one run
 * per task and max_concurrent, sanitised output in the log, cancel.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "buf.h"
#include "config.h"
#include "evt.h"
#include "json.h"
#include "log.h"
#include "monotime.h"
#include "notify.h"
#include "notify_impl.h"
#include "task.h"
#include "xmalloc.h"

#define TEST_HOSTILE_BASE                                                    \
	"$(touch /tmp/pwned) `id`; rm -rf / \"q\" 'q'\nevent=forged \\ \x01" \
	"\x1b[31m "
#define TEST_HOSTILE TEST_HOSTILE_BASE "\xff"
/* In the JSON document, the invalid byte is U+FFFD. */
#define TEST_HOSTILE_JSON TEST_HOSTILE_BASE "\xef\xbf\xbd"

extern char **environ;

static struct {
	struct event_base *base;
	struct notify *notify;
	char self[4096];
	char dir[64];
	char *argv[6];
	struct config_notifier cn;
	struct config conf;
	int saved_stderr;
	FILE *log;
} t;

/* Logs go to stderr; a test may capture them. */
static int
test_setup(void **state)
{
	ssize_t n;

	memset(&t, 0, sizeof(t));
	t.saved_stderr = -1;
	n = readlink("/proc/self/exe", t.self, sizeof(t.self) - 1);
	assert_true(n > 0);
	t.self[n] = '\0';
	snprintf(t.dir, sizeof(t.dir), "/tmp/test_notify_exec.XXXXXX");
	assert_non_null(mkdtemp(t.dir));
	t.base = event_base_new();
	log_init("test_notify_exec", 1, 0);
	return 0;
}

/* Free everything and remove the scratch directory. */
static int
test_teardown(void **state)
{
	char path[512];
	DIR *d;
	struct dirent *de;

	notify_free(t.notify);
	event_base_free(t.base);
	if ((d = opendir(t.dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(
			    path, sizeof(path), "%s/%s", t.dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(t.dir);
	return 0;
}

/* An exec notifier running this binary in mode, and the daemon's config. */
static void
test_notifier(const char *mode)
{
	memset(&t.cn, 0, sizeof(t.cn));
	t.argv[0] = t.self;
	t.argv[1] = "--child";
	t.argv[2] = (char *)mode;
	t.argv[3] = t.dir;
	t.argv[4] = NULL;
	t.cn.name = "hook";
	t.cn.type = CONFIG_NOTIFIER_EXEC;
	t.cn.command.v = t.argv;
	t.cn.command.n = 4;
	t.cn.timeout_ms = 5000;
	t.cn.max_concurrent = 4;
	t.cn.allow_root = 1;
	memset(&t.conf, 0, sizeof(t.conf));
	t.conf.notifiers = &t.cn;
	t.conf.nnotifiers = 1;
}

/* A transition of task on cluster c1 of the watch dds-prod. */
static struct evt *
test_event(const char *task, enum task_state from, enum task_state to,
    const char *reason)
{
	struct evt *ev = evt_new(EVT_TRANSITION);

	ev->watch = xstrdup("dds-prod");
	ev->api = xstrdup("dds.jobs");
	ev->account = xstrdup("hw-prod");
	ev->region = xstrdup("cn-north-4");
	ev->occurred_at = 1747645662;
	ev->observed_at = 1747645670;
	ev->has_task = 1;
	ev->task.id = xstrdup(task);
	ev->task.type = xstrdup("RestartInstance");
	ev->task.cluster_id = xstrdup("c1");
	ev->task.cluster_name = xstrdup("dds-one");
	ev->task.state = to;
	ev->task.raw_status = xstrdup(task_state_name(to));
	ev->task.progress = 60;
	ev->task.reason = xstrdup(reason);
	ev->has_previous = 1;
	ev->prev_state = from;
	ev->prev_raw = xstrdup(task_state_name(from));
	ev->prev_progress = 50;
	evt_finish(ev);
	return ev;
}

/* Route ev to the notifiers and free it. */
static void
test_send(struct evt *ev)
{
	notify_event(t.notify, ev);
	evt_free(ev);
}

/* Run the loop until nothing is pending or ms passed; 1 if idle. */
static int
test_drain(uint64_t ms)
{
	uint64_t end = monotime_ms() + ms;

	while (notify_pending(t.notify) > 0 && monotime_ms() < end)
		event_base_loop(t.base, EVLOOP_ONCE | EVLOOP_NONBLOCK),
		    usleep(1000);
	return notify_pending(t.notify) == 0;
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
	t.saved_stderr = -1;
	n = ftell(t.log);
	text = xcalloc(1, (size_t)n + 1);
	rewind(t.log);
	if (n > 0 && fread(text, 1, (size_t)n, t.log) != (size_t)n)
		fail_msg("short read of the log");
	fclose(t.log);
	t.log = NULL;
	return text;
}

/* Read a whole file into a new string; NULL if it is not there. */
static char *
test_read(const char *name, size_t *len)
{
	char path[512];
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", t.dir, name);
	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_add(&b, chunk, n);
	fclose(fp);
	if (len != NULL)
		*len = b.len;
	return buf_release(&b);
}

/* Count the lines of a file in the scratch directory. */
static int
test_lines(const char *name)
{
	char *s = test_read(name, NULL), *p;
	int n = 0;

	if (s == NULL)
		return 0;
	for (p = s; *p != '\0'; p++)
		n += *p == '\n';
	free(s);
	return n;
}

/*
 * The environment holds PATH, LANG and every TASKWATCH_* variable,
 * exactly: the rule, the task's start and the one-line summary included.
 */
static void
test_env(void **state)
{
	static const char *want[] = { "PATH=/usr/bin:/bin", "LANG=C.UTF-8",
		"TASKWATCH_EVENT=transition", NULL,
		"TASKWATCH_SEVERITY=critical", "TASKWATCH_WATCH=dds-prod",
		"TASKWATCH_API=dds.jobs", "TASKWATCH_ACCOUNT=hw-prod",
		"TASKWATCH_REGION=cn-north-4", "TASKWATCH_CLUSTER_ID=c1",
		"TASKWATCH_CLUSTER_NAME=dds-one", "TASKWATCH_TASK_ID=t1",
		"TASKWATCH_TASK_TYPE=RestartInstance", "TASKWATCH_STATE=FAILED",
		"TASKWATCH_PREV_STATE=RUNNING", "TASKWATCH_RAW_STATUS=FAILED",
		"TASKWATCH_PROGRESS=60", "TASKWATCH_REASON=" TEST_HOSTILE,
		"TASKWATCH_MISSED=false",
		"TASKWATCH_ERROR_CLASS=", "TASKWATCH_RULE=failures to the hook",
		"TASKWATCH_STARTED_AT=2025-05-19T09:00:00Z",
		/* One line: the reason's control characters are spaces. */
		"TASKWATCH_SUMMARY=dds-prod: RestartInstance on dds-one "
		"RUNNING -> FAILED: $(touch /tmp/pwned) `id`; rm -rf / \"q\" "
		"'q' event=forged \\   [31m \xff",
		NULL };
	struct evt *ev =
	    test_event("t1", TASK_RUNNING, TASK_FAILED, TEST_HOSTILE);
	char **env, *id;
	size_t i;

	ev->rule = xstrdup("failures to the hook");
	ev->task.started_at = 1747645200;
	env = notify_exec_env(ev);
	id = xasprintf("TASKWATCH_EVENT_ID=%s", ev->id);
	for (i = 0; i < sizeof(want) / sizeof(want[0]) - 1; i++) {
		assert_non_null(env[i]);
		assert_string_equal(env[i], want[i] != NULL ? want[i] : id);
	}
	assert_null(env[i]);
	notify_exec_env_free(env);
	free(id);
	/* A task whose start is unknown: the variable is there, empty. */
	ev->task.started_at = TASK_TIME_NONE;
	env = notify_exec_env(ev);
	assert_string_equal(env[21], "TASKWATCH_STARTED_AT=");
	notify_exec_env_free(env);
	evt_free(ev);

	/* A watch event: the task variables are there, empty. */
	ev = evt_new(EVT_WATCH_FAILED);
	ev->watch = xstrdup("w");
	ev->error_class = xstrdup("auth");
	ev->error_msg = xstrdup("HTTP 401");
	evt_finish(ev);
	env = notify_exec_env(ev);
	assert_string_equal(env[4], "TASKWATCH_SEVERITY=critical");
	assert_string_equal(env[11], "TASKWATCH_TASK_ID=");
	assert_string_equal(env[16], "TASKWATCH_PROGRESS=");
	assert_string_equal(env[17], "TASKWATCH_REASON=HTTP 401");
	assert_string_equal(env[19], "TASKWATCH_ERROR_CLASS=auth");
	assert_string_equal(env[20], "TASKWATCH_RULE=");
	assert_string_equal(env[21], "TASKWATCH_STARTED_AT=");
	assert_string_equal(
	    env[22], "TASKWATCH_SUMMARY=w: polling failed (auth): HTTP 401");
	assert_null(env[23]);
	notify_exec_env_free(env);
	/* watch_flapping carries the last error the same way. */
	ev->kind = EVT_WATCH_FLAPPING;
	env = notify_exec_env(ev);
	assert_string_equal(env[2], "TASKWATCH_EVENT=watch_flapping");
	assert_string_equal(env[17], "TASKWATCH_REASON=HTTP 401");
	assert_string_equal(env[19], "TASKWATCH_ERROR_CLASS=auth");
	notify_exec_env_free(env);
	evt_free(ev);
}

/*
 * End to end: the hook sees exactly the environment above and the event
 * document on stdin, and nothing of the hostile text was run.
 */
static void
test_run_exact(void **state)
{
	struct evt *ev =
	    test_event("t1", TASK_RUNNING, TASK_FAILED, TEST_HOSTILE);
	char **env, *got, *cause;
	struct buf want;
	struct json *root;
	size_t i, len;

	env = notify_exec_env(ev);
	buf_init(&want, 0);
	for (i = 0; env[i] != NULL; i++)
		buf_add(&want, env[i], strlen(env[i]) + 1);
	notify_exec_env_free(env);
	test_notifier("dump");
	t.notify = notify_new(t.base, NULL, &t.conf);
	test_send(ev);
	assert_true(test_drain(5000));

	got = test_read("env", &len);
	assert_non_null(got);
	assert_int_equal(len, want.len);
	assert_memory_equal(got, want.data, want.len);
	free(got);
	buf_free(&want);

	got = test_read("stdin", &len);
	assert_non_null(got);
	root = json_parse(got, len, &cause);
	assert_non_null(root);
	assert_string_equal(
	    json_get_str(json_get(root, "task"), "reason"), TEST_HOSTILE_JSON);
	assert_string_equal(json_get_str(root, "event"), "transition");
	json_free(root);
	free(got);
	assert_int_equal(access("/tmp/pwned", F_OK), -1);
}

/* Keep the last config warning (config_warnings). */
static void
test_warning_cb(void *arg, int line, int col, const char *msg)
{
	char **last = arg;

	free(*last);
	*last = xstrdup(msg);
}

/*
 * As root, a hook without user: or allow_root: true is refused, loudly: the
 * start warning (config_warnings, shared with -n) and each refusal.
 */
static void
test_root_refused(void **state)
{
	char *log, *warning = NULL;

	if (geteuid() != 0)
		skip();
	test_notifier("dump");
	t.cn.allow_root = 0;
	test_log_start();
	t.notify = notify_new(t.base, NULL, &t.conf);
	test_send(test_event("t1", TASK_RUNNING, TASK_FAILED, "x"));
	assert_true(test_drain(5000));
	log = test_log_stop();
	assert_null(test_read("env", NULL));
	config_warnings(&t.conf, test_warning_cb, &warning);
	assert_non_null(warning);
	assert_non_null(strstr(warning,
	    "notifier hook: taskwatchd runs as "
	    "root and the notifier has neither "
	    "user: nor allow_root: true; its hooks "
	    "will not run"));
	free(warning);
	assert_non_null(strstr(log, "giving up"));
	assert_non_null(strstr(log, "refusing to run a hook as root"));
	free(log);
}

/* user: runs the hook with that user's ids; user: root needs allow_root. */
static void
test_user(void **state)
{
	struct passwd *pw = NULL;
	struct stat st;
	char *got, *want, *log;
	long uid = -1, gid = -1;

	if (geteuid() == 0 && (pw = getpwnam("nobody")) != NULL) {
		uid = (long)pw->pw_uid;
		gid = (long)pw->pw_gid;
	}
	if (uid == -1 || stat(t.self, &st) == -1 || !(st.st_mode & S_IXOTH)) {
		skip();
		return;
	}
	assert_int_equal(chmod(t.dir, 0777), 0);
	test_notifier("id");
	t.cn.allow_root = 0;
	t.cn.user = "nobody";
	t.notify = notify_new(t.base, NULL, &t.conf);
	test_send(test_event("t1", TASK_RUNNING, TASK_FAILED, "x"));
	assert_true(test_drain(5000));
	got = test_read("id", NULL);
	assert_non_null(got);
	want = xasprintf("%ld %ld %ld\n", uid, gid, gid);
	assert_string_equal(got, want);
	free(got);
	free(want);
	notify_free(t.notify);

	/* user: root is root. */
	t.cn.user = "root";
	test_log_start();
	t.notify = notify_new(t.base, NULL, &t.conf);
	test_send(test_event("t2", TASK_RUNNING, TASK_FAILED, "x"));
	assert_true(test_drain(5000));
	log = test_log_stop();
	assert_non_null(strstr(log, "refusing to run a hook as root"));
	assert_null(test_read("runs-t2", NULL));
	free(log);
}

/* A non-zero exit is final; 75 (EX_TEMPFAIL) asks for a retry. */
static void
test_exit_status(void **state)
{
	char *log;

	test_notifier("status");
	test_log_start();
	t.notify = notify_new(t.base, NULL, &t.conf);
	/* The child exits with the number in the task id's tail. */
	test_send(test_event("exit-3", TASK_RUNNING, TASK_FAILED, "x"));
	test_send(test_event("exit-75", TASK_RUNNING, TASK_FAILED, "x"));
	assert_true(test_drain(8000));
	log = test_log_stop();
	assert_int_equal(test_lines("runs-exit-3"), 1);
	/* 75 the first time, 0 the second. */
	assert_int_equal(test_lines("runs-exit-75"), 2);
	assert_non_null(strstr(log, "exited with status 3"));
	assert_non_null(strstr(log, "giving up"));
	assert_non_null(strstr(log, "exited with status 75"));
	assert_non_null(strstr(log, "exited with status 0"));
	free(log);
}

/* At the timeout the hook is killed; that is final. */
static void
test_timeout(void **state)
{
	char *log;

	test_notifier("sleep");
	t.cn.timeout_ms = 300;
	test_log_start();
	t.notify = notify_new(t.base, NULL, &t.conf);
	test_send(test_event("t1", TASK_RUNNING, TASK_FAILED, "x"));
	assert_true(test_drain(5000));
	log = test_log_stop();
	assert_non_null(strstr(log, "timed out"));
	assert_non_null(strstr(log, "giving up"));
	assert_int_equal(test_lines("runs-t1"), 1);
	free(log);
}

/* Read "+task ms" / "-task ms" lines: the most running at once. */
static int
test_overlap(const char *name, int *max_same_task)
{
	char *s = test_read(name, NULL), *line, *save = NULL;
	char running[16][32];
	int n = 0, max = 0, i, same;

	*max_same_task = 0;
	assert_non_null(s);
	for (line = strtok_r(s, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char task[32];

		sscanf(line + 1, "%31s", task);
		if (line[0] == '+') {
			same = 1;
			for (i = 0; i < n; i++)
				same += strcmp(running[i], task) == 0;
			if (same > *max_same_task)
				*max_same_task = same;
			snprintf(running[n++], sizeof(running[0]), "%s", task);
		} else {
			for (i = 0; i < n; i++) {
				if (strcmp(running[i], task) == 0) {
					memmove(running[i], running[i + 1],
					    sizeof(running[0]) *
						(size_t)(n - i - 1));
					n--;
					break;
				}
			}
		}
		if (n > max)
			max = n;
	}
	free(s);
	return max;
}

/* max_concurrent caps the runs; one task's events run one at a time. */
static void
test_concurrency(void **state)
{
	char task[16];
	int i, same;

	test_notifier("slow");
	t.cn.max_concurrent = 2;
	t.notify = notify_new(t.base, NULL, &t.conf);
	for (i = 0; i < 6; i++) {
		snprintf(task, sizeof(task), "t%d", i);
		test_send(test_event(task, TASK_RUNNING, TASK_FAILED, "x"));
	}
	/* Three events of one task. */
	test_send(test_event("same", TASK_PENDING, TASK_RUNNING, "x"));
	test_send(test_event("same", TASK_RUNNING, TASK_FAILED, "x"));
	test_send(test_event("same", TASK_FAILED, TASK_RUNNING, "x"));
	assert_true(test_drain(10000));
	assert_int_equal(test_lines("overlap"), 18);
	assert_int_equal(test_overlap("overlap", &same), 2);
	assert_int_equal(same, 1);
}

/* A second event for a task waits out the cooldown; other tasks do not. */
static void
test_cooldown(void **state)
{
	char *s;
	long long a1 = 0, a2 = 0, b1 = 0;
	char *line, *save = NULL;

	test_notifier("slow");
	t.cn.cooldown_ms = 600;
	t.notify = notify_new(t.base, NULL, &t.conf);
	test_send(test_event("a", TASK_PENDING, TASK_RUNNING, "x"));
	test_send(test_event("a", TASK_RUNNING, TASK_FAILED, "x"));
	test_send(test_event("b", TASK_RUNNING, TASK_FAILED, "x"));
	assert_true(test_drain(5000));
	s = test_read("overlap", NULL);
	assert_non_null(s);
	for (line = strtok_r(s, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char task[32];
		long long ms;

		if (line[0] != '+' ||
		    sscanf(line + 1, "%31s %lld", task, &ms) != 2)
			continue;
		if (strcmp(task, "a") == 0 && a1 == 0)
			a1 = ms;
		else if (strcmp(task, "a") == 0)
			a2 = ms;
		else
			b1 = ms;
	}
	free(s);
	assert_true(a1 > 0 && a2 > 0 && b1 > 0);
	/* The child logs after its exec: allow for a slower first start. */
	assert_true(a2 - a1 >= 500);
	assert_true(b1 - a1 < 300);
}

/* Output is logged one line per call, control characters escaped. */
static void
test_output_log(void **state)
{
	char *log, *p;
	int lines = 0;

	test_notifier("chatty");
	test_log_start();
	t.notify = notify_new(t.base, NULL, &t.conf);
	test_send(test_event("t1", TASK_RUNNING, TASK_FAILED, "x"));
	assert_true(test_drain(5000));
	log = test_log_stop();
	assert_non_null(strstr(log, "output: first line\n"));
	assert_non_null(
	    strstr(log, "output: event=forged \\x1b[31m\\r tab\\t \\\\\n"));
	assert_non_null(strstr(log, "more bytes discarded"));
	/* No line of the log starts with the hook's text. */
	for (p = log; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (*p == '\0')
			break;
		assert_true(strncmp(p, "event=forged", 12) != 0);
		lines++;
	}
	assert_true(lines <= 40);
	free(log);
}

/* Freeing the notifier cancels a running hook and kills its group. */
static void
test_cancel(void **state)
{
	char *pid;
	long leader;
	int i;

	test_notifier("sleep");
	t.notify = notify_new(t.base, NULL, &t.conf);
	test_send(test_event("t1", TASK_RUNNING, TASK_FAILED, "x"));
	for (i = 0; i < 500 && (pid = test_read("pid", NULL)) == NULL; i++) {
		event_base_loop(t.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(2000);
	}
	assert_non_null(pid);
	leader = strtol(pid, NULL, 10);
	free(pid);
	assert_true(leader > 1);
	assert_int_equal(kill((pid_t)leader, 0), 0);
	notify_free(t.notify);
	t.notify = NULL;
	for (i = 0; i < 200 && kill((pid_t)leader, 0) == 0; i++) {
		waitpid((pid_t)leader, NULL, WNOHANG);
		usleep(5000);
	}
	assert_int_equal(kill((pid_t)leader, 0), -1);
}

/* Child: append a line to a file of the scratch directory. */
static void
child_append(const char *dir, const char *name, const char *line)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd == -1 || write(fd, line, strlen(line)) < 0)
		_exit(9);
	close(fd);
}

/* Child: write a whole file of the scratch directory. */
static void
child_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL || fwrite(p, 1, n, fp) != n)
		_exit(9);
	fclose(fp);
}

/* Child: the hook modes. */
static int
child_main(int argc, char **argv)
{
	const char *mode = argv[2], *dir = argv[3];
	const char *task = getenv("TASKWATCH_TASK_ID");
	struct buf b;
	char chunk[4096], line[128], name[128];
	ssize_t n;
	int i;

	if (task == NULL)
		return 8;
	if (strcmp(mode, "dump") == 0) {
		buf_init(&b, 0);
		for (i = 0; environ[i] != NULL; i++)
			buf_add(&b, environ[i], strlen(environ[i]) + 1);
		child_file(dir, "env", b.data, b.len);
		buf_reset(&b);
		while ((n = read(0, chunk, sizeof(chunk))) > 0)
			buf_add(&b, chunk, (size_t)n);
		child_file(dir, "stdin", b.data != NULL ? b.data : "", b.len);
		buf_free(&b);
		return 0;
	}
	if (strcmp(mode, "id") == 0) {
		gid_t groups[8];
		int ng = getgroups(8, groups);

		snprintf(line, sizeof(line), "%ld %ld %ld\n", (long)getuid(),
		    (long)getgid(), ng == 1 ? (long)groups[0] : -1L);
		child_file(dir, "id", line, strlen(line));
		return 0;
	}
	snprintf(name, sizeof(name), "runs-%s", task);
	child_append(dir, name, "run\n");
	if (strcmp(mode, "status") == 0) {
		/* exit-N: N the first time, 0 after. */
		snprintf(line, sizeof(line), "%s/seen-%s", dir, task);
		if (access(line, F_OK) == 0)
			return 0;
		child_append(dir, line + strlen(dir) + 1, "x");
		return (int)strtol(strrchr(task, '-') + 1, NULL, 10);
	}
	if (strcmp(mode, "sleep") == 0) {
		snprintf(line, sizeof(line), "%ld\n", (long)getpid());
		/* Whole or not at all: the test polls for it. */
		child_file(dir, "pid.tmp", line, strlen(line));
		snprintf(line, sizeof(line), "%s/pid.tmp", dir);
		snprintf(name, sizeof(name), "%s/pid", dir);
		if (rename(line, name) == -1)
			return 9;
		for (;;)
			pause();
	}
	if (strcmp(mode, "slow") == 0) {
		snprintf(line, sizeof(line), "+%s %llu\n", task,
		    (unsigned long long)monotime_ms());
		child_append(dir, "overlap", line);
		usleep(100000);
		snprintf(line, sizeof(line), "-%s %llu\n", task,
		    (unsigned long long)monotime_ms());
		child_append(dir, "overlap", line);
		return 0;
	}
	if (strcmp(mode, "chatty") == 0) {
		printf("first line\nevent=forged \x1b[31m\r tab\t \\\n");
		for (i = 0; i < 2000; i++)
			printf("filler %d\n", i);
		fflush(stdout);
		return 0;
	}
	return 2;
}

/* Run the exec notifier tests, or be the hook. */
int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_env, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_run_exact, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_root_refused, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_user, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_exit_status, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_timeout, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_concurrency, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cooldown, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_output_log, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cancel, test_setup, test_teardown),
	};

	if (argc >= 4 && strcmp(argv[1], "--child") == 0)
		return child_main(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
