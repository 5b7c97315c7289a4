/*
 * Logging to stderr or syslog(3).  Messages are one line each; the caller's
 * text is never used as a format string.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int log_to_stderr = 1;
static int log_verbose;

/* Start logging as ident; to stderr when to_stderr, else syslog. */
void
log_init(const char *ident, int to_stderr, int verbose)
{
	log_to_stderr = to_stderr;
	log_verbose = verbose;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

/* Turn debug messages on or off (SIGUSR2). */
void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

/* Return whether debug messages are on. */
int
log_getverbose(void)
{
	return log_verbose;
}

/* As log_at, with a va_list. */
void
log_vat(int prio, const char *fmt, va_list ap)
{
	int saved = errno;

	if (prio == LOG_DEBUG && !log_verbose)
		return;
	if (log_to_stderr) {
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		fflush(stderr);
	} else
		vsyslog(prio, fmt, ap);
	errno = saved;
}

/* Log at an explicit syslog priority. */
void
log_at(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vat(prio, fmt, ap);
	va_end(ap);
}

/* Log fmt with ": strerror(code)" appended. */
static void
log_vwarn_code(int prio, int code, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_at(prio, "%s: %s", msg, strerror(code));
}

/* Warning with ": strerror(errno)" appended. */
void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int code = errno;

	va_start(ap, fmt);
	log_vwarn_code(LOG_WARNING, code, fmt, ap);
	va_end(ap);
}

/* Warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vat(LOG_WARNING, fmt, ap);
	va_end(ap);
}

/* Informational message. */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vat(LOG_INFO, fmt, ap);
	va_end(ap);
}

/* Debug message, shown only when verbose. */
void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vat(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/* Log a critical error with strerror(errno) and exit 1. */
void
fatal(const char *fmt, ...)
{
	va_list ap;
	int code = errno;

	va_start(ap, fmt);
	log_vwarn_code(LOG_CRIT, code, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Log a critical error and exit 1. */
void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vat(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
