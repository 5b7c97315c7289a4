/*
 * Unit tests for the service notification protocol: messages reach a path
 * socket and an abstract one exactly as sd_notify(3) defines them, the
 * watchdog interval is half of WATCHDOG_USEC and only for our pid, and a
 * missing or unusable NOTIFY_SOCKET turns every call into a no-op.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sdnotify.h"

/* A bound receiving socket and the name to put in NOTIFY_SOCKET. */
struct test_sock {
	int fd;
	char name[108];
	char path[108]; /* to unlink; "" for abstract */
};

/* Bind a datagram socket: a path under /tmp, or an abstract name. */
static void
test_sock_open(struct test_sock *ts, int abstract)
{
	struct sockaddr_un sa;
	socklen_t len;
	struct timeval tv = { 2, 0 };

	memset(ts, 0, sizeof(*ts));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (abstract) {
		snprintf(ts->name, sizeof(ts->name), "@tw-sdnotify-test-%ld",
		    (long)getpid());
		memcpy(sa.sun_path + 1, ts->name + 1, strlen(ts->name) - 1);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    strlen(ts->name));
	} else {
		snprintf(ts->name, sizeof(ts->name), "/tmp/tw-sdnotify-%ld",
		    (long)getpid());
		snprintf(ts->path, sizeof(ts->path), "%s", ts->name);
		unlink(ts->path);
		memcpy(sa.sun_path, ts->name, strlen(ts->name));
		len = (socklen_t)sizeof(sa);
	}
	ts->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(ts->fd >= 0);
	assert_int_equal(bind(ts->fd, (struct sockaddr *)&sa, len), 0);
	setsockopt(ts->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setenv("NOTIFY_SOCKET", ts->name, 1);
}

/* Close and remove the receiving socket. */
static void
test_sock_close(struct test_sock *ts)
{
	close(ts->fd);
	if (ts->path[0] != '\0')
		unlink(ts->path);
	unsetenv("NOTIFY_SOCKET");
}

/* Receive one datagram as a string. */
static void
test_recv(struct test_sock *ts, char *buf, size_t len)
{
	ssize_t n = recv(ts->fd, buf, len - 1, 0);

	assert_true(n > 0);
	buf[n] = '\0';
}

/* Every message type reaches a socket at a path, one datagram each. */
static void
test_path_socket(void **state)
{
	struct test_sock ts;
	char buf[1024];

	test_sock_open(&ts, 0);
	assert_int_equal(sdnotify_init(), 0);
	assert_true(sdnotify_enabled());
	sdnotify_ready();
	test_recv(&ts, buf, sizeof(buf));
	assert_string_equal(buf, "READY=1");
	sdnotify_stopping();
	test_recv(&ts, buf, sizeof(buf));
	assert_string_equal(buf, "STOPPING=1");
	sdnotify_watchdog();
	test_recv(&ts, buf, sizeof(buf));
	assert_string_equal(buf, "WATCHDOG=1");
	sdnotify_status("3 watches, 10 tasks");
	test_recv(&ts, buf, sizeof(buf));
	assert_string_equal(buf, "STATUS=3 watches, 10 tasks");
	sdnotify_close();
	assert_false(sdnotify_enabled());
	test_sock_close(&ts);
}

/* An abstract socket ("@name") is addressed without a trailing NUL. */
static void
test_abstract_socket(void **state)
{
	struct test_sock ts;
	char buf[1024];

	test_sock_open(&ts, 1);
	assert_int_equal(sdnotify_init(), 0);
	sdnotify_ready();
	test_recv(&ts, buf, sizeof(buf));
	assert_string_equal(buf, "READY=1");
	sdnotify_close();
	test_sock_close(&ts);
}

/* RELOADING=1 carries the monotonic clock in microseconds. */
static void
test_reloading(void **state)
{
	struct test_sock ts;
	struct timespec t0, t1;
	unsigned long long us, lo, hi;
	char buf[1024];

	test_sock_open(&ts, 0);
	assert_int_equal(sdnotify_init(), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sdnotify_reloading();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	test_recv(&ts, buf, sizeof(buf));
	assert_int_equal(
	    sscanf(buf, "RELOADING=1\nMONOTONIC_USEC=%llu", &us), 1);
	lo = (unsigned long long)t0.tv_sec * 1000000 + t0.tv_nsec / 1000;
	hi = (unsigned long long)t1.tv_sec * 1000000 + t1.tv_nsec / 1000;
	assert_true(us >= lo && us <= hi);
	sdnotify_close();
	test_sock_close(&ts);
}

/* A STATUS text is cut at its first newline: one line, one field. */
static void
test_status_one_line(void **state)
{
	struct test_sock ts;
	char buf[1024];

	test_sock_open(&ts, 0);
	assert_int_equal(sdnotify_init(), 0);
	sdnotify_status("ok\nREADY=1");
	test_recv(&ts, buf, sizeof(buf));
	assert_string_equal(buf, "STATUS=ok");
	sdnotify_close();
	test_sock_close(&ts);
}

/* The watchdog interval is half WATCHDOG_USEC, for our pid only. */
static void
test_watchdog_interval(void **state)
{
	struct test_sock ts;
	char pid[32];

	test_sock_open(&ts, 0);
	setenv("WATCHDOG_USEC", "400000", 1);
	unsetenv("WATCHDOG_PID");
	sdnotify_init();
	assert_int_equal(sdnotify_watchdog_ms(), 200);

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	sdnotify_init();
	assert_int_equal(sdnotify_watchdog_ms(), 200);

	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	sdnotify_init();
	assert_int_equal(sdnotify_watchdog_ms(), 0);

	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "soon", 1);
	sdnotify_init();
	assert_int_equal(sdnotify_watchdog_ms(), 0);

	/* No socket, no watchdog, even when WATCHDOG_USEC is set. */
	setenv("WATCHDOG_USEC", "400000", 1);
	test_sock_close(&ts);
	sdnotify_init();
	assert_int_equal(sdnotify_watchdog_ms(), 0);
	unsetenv("WATCHDOG_USEC");
	sdnotify_close();
}

/* Without NOTIFY_SOCKET, or with a bad one, nothing is sent. */
static void
test_disabled(void **state)
{
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sdnotify_init(), 0);
	assert_false(sdnotify_enabled());
	assert_int_equal(sdnotify_send("READY=1"), -1);
	sdnotify_ready();

	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(sdnotify_init(), -1);
	assert_false(sdnotify_enabled());
	unsetenv("NOTIFY_SOCKET");
}

/* A socket nobody listens on: the send fails, and does not block. */
static void
test_send_error(void **state)
{
	setenv("NOTIFY_SOCKET", "/nonexistent/tw-sdnotify", 1);
	assert_int_equal(sdnotify_init(), 0);
	assert_int_equal(sdnotify_send("READY=1"), -1);
	assert_int_equal(sdnotify_send("READY=1"), -1);
	sdnotify_close();
	unsetenv("NOTIFY_SOCKET");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_socket),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_reloading),
		cmocka_unit_test(test_status_one_line),
		cmocka_unit_test(test_watchdog_interval),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_send_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
