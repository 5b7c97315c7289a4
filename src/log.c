/*
 * Logging to stderr or syslog(3).  Messages are one line each; the caller's
 * text is never used as a format string.  On stderr each line starts with
 * the UTC time (ISO 8601, milliseconds) and the level, since nothing else
 * adds them there.
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

/* The level's name on stderr. */
static const char *
log_level_name(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
		return "crit";
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

/* Write "2026-12-05T01:02:03.456Z level: " to stderr. */
static void
log_stderr_prefix(int prio)
{
	struct timespec ts = { 0, 0 };
	struct tm tm;
	char t[32];

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(t, sizeof(t), "-");
	fprintf(stderr, "%s.%03ldZ %s: ", t, ts.tv_nsec / 1000000L,
	    log_level_name(prio));
}

/* As log_at, with a va_list. */
void
log_vat(int prio, const char *fmt, va_list ap)
{
	int saved = errno;

	if (prio == LOG_DEBUG && !log_verbose)
		return;
	if (log_to_stderr) {
		log_stderr_prefix(prio);
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

/*
 * Whether the nth failure in a row is logged: the first, then at powers
 * of two, so a failure that lasts is seen without filling the log.
 */
int
log_repeat_due(unsigned n)
{
	return (n & (n - 1)) == 0;
}
