/*
 * sd_notify(3) without libsystemd: a non-blocking datagram socket and a
 * sendto() per message to the address in $NOTIFY_SOCKET.  The service
 * manager reads READY=1, RELOADING=1, STOPPING=1, STATUS= and WATCHDOG=1
 * from it; this module only formats and sends them.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sdnotify.h"
#include "util.h"

#define SDNOTIFY_STATUS_MAX 512 /* bytes of a STATUS= text */

static int sdnotify_fd = -1;
static struct sockaddr_un sdnotify_addr;
static socklen_t sdnotify_addrlen;
static int sdnotify_logged; /* a send failure was logged */
static uint64_t sdnotify_wd_ms;

/* Parse the watchdog variables into sdnotify_wd_ms. */
static void
sdnotify_init_watchdog(void)
{
	const char *usec, *pid, *cause;
	long long v;

	sdnotify_wd_ms = 0;
	if ((usec = getenv("WATCHDOG_USEC")) == NULL || *usec == '\0')
		return;
	if (util_strtonum(usec, 1, INT64_MAX, &v, &cause) == -1) {
		log_warnx(
		    "WATCHDOG_USEC=%s: %s; no watchdog pings", usec, cause);
		return;
	}
	pid = getenv("WATCHDOG_PID");
	if (pid != NULL && *pid != '\0') {
		long long p;

		if (util_strtonum(pid, 1, INT32_MAX, &p, &cause) == -1 ||
		    (pid_t)p != getpid())
			return;
	}
	/* Half the interval, as sd_watchdog_enabled(3) advises. */
	sdnotify_wd_ms = (uint64_t)v / 2000;
	if (sdnotify_wd_ms == 0)
		sdnotify_wd_ms = 1;
}

/* Read the environment and open the socket (see sdnotify.h). */
int
sdnotify_init(void)
{
	const char *path;
	size_t len;

	sdnotify_close();
	sdnotify_logged = 0;
	sdnotify_init_watchdog();
	if ((path = getenv("NOTIFY_SOCKET")) == NULL || *path == '\0') {
		sdnotify_wd_ms = 0;
		return 0;
	}
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len >= sizeof(sdnotify_addr.sun_path)) {
		log_warnx("NOTIFY_SOCKET=%s: not a unix socket path or "
			  "abstract name; no service notifications",
		    path);
		sdnotify_wd_ms = 0;
		return -1;
	}
	memset(&sdnotify_addr, 0, sizeof(sdnotify_addr));
	sdnotify_addr.sun_family = AF_UNIX;
	memcpy(sdnotify_addr.sun_path, path, len);
	if (path[0] == '@') {
		/* Abstract: a leading NUL, and no terminating one counted. */
		sdnotify_addr.sun_path[0] = '\0';
		sdnotify_addrlen =
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else
		sdnotify_addrlen =
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
			1);
	sdnotify_fd =
	    socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sdnotify_fd == -1) {
		log_warn("NOTIFY_SOCKET: socket");
		sdnotify_wd_ms = 0;
		return -1;
	}
	return 0;
}

/* 1 when messages go to a socket. */
int
sdnotify_enabled(void)
{
	return sdnotify_fd != -1;
}

/* Close the socket; later calls do nothing until sdnotify_init. */
void
sdnotify_close(void)
{
	if (sdnotify_fd != -1)
		close(sdnotify_fd);
	sdnotify_fd = -1;
	sdnotify_wd_ms = 0;
}

/* Send one message as it is (see sdnotify.h). */
int
sdnotify_send(const char *msg)
{
	ssize_t n;

	if (sdnotify_fd == -1)
		return -1;
	do {
		n = sendto(sdnotify_fd, msg, strlen(msg),
		    MSG_DONTWAIT | MSG_NOSIGNAL,
		    (const struct sockaddr *)&sdnotify_addr, sdnotify_addrlen);
	} while (n == -1 && errno == EINTR);
	if (n != -1)
		return 0;
	if (!sdnotify_logged) {
		sdnotify_logged = 1;
		log_warn("cannot notify the service manager (further errors "
			 "are not logged)");
	}
	return -1;
}

/* READY=1: startup or a reload is complete. */
void
sdnotify_ready(void)
{
	sdnotify_send("READY=1");
}

/* RELOADING=1 with MONOTONIC_USEC, as Type=notify-reload expects. */
void
sdnotify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	if (sdnotify_fd == -1)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
		(unsigned long long)ts.tv_nsec / 1000ULL);
	sdnotify_send(msg);
}

/* STOPPING=1: a graceful stop began. */
void
sdnotify_stopping(void)
{
	sdnotify_send("STOPPING=1");
}

/* STATUS=<text>, cut at its first newline. */
void
sdnotify_status(const char *text)
{
	char msg[SDNOTIFY_STATUS_MAX + 8];

	if (sdnotify_fd == -1)
		return;
	snprintf(msg, sizeof(msg), "STATUS=%.*s", SDNOTIFY_STATUS_MAX,
	    text != NULL ? text : "");
	msg[strcspn(msg, "\r\n")] = '\0';
	sdnotify_send(msg);
}

/* WATCHDOG=1. */
void
sdnotify_watchdog(void)
{
	sdnotify_send("WATCHDOG=1");
}

/* How often to send WATCHDOG=1 (see sdnotify.h). */
uint64_t
sdnotify_watchdog_ms(void)
{
	return sdnotify_wd_ms;
}
