/*
 * Logging: stderr when attached (-d), syslog(3) otherwise.  The API follows
 * the OpenBSD daemons: log_warn appends strerror(errno), fatal exits.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Start logging as ident; to stderr when to_stderr, else syslog. */
void log_init(const char *ident, int to_stderr, int verbose);
/* Turn debug messages on or off (SIGUSR2). */
void log_setverbose(int verbose);
/* Return whether debug messages are on. */
int log_getverbose(void);
/* Log at an explicit syslog priority. */
void log_at(int prio, const char *fmt, ...) LOG_PRINTF(2, 3);
/* As log_at, with a va_list. */
void log_vat(int prio, const char *fmt, va_list ap) LOG_PRINTF(2, 0);
/* Warning with ": strerror(errno)" appended. */
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
/* Warning. */
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
/* Informational message. */
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
/* Debug message, shown only when verbose. */
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
/*
 * Whether the nth failure in a row is logged: a repeating failure is
 * logged the first time, then at powers of two (2, 4, 8, ...).
 */
int log_repeat_due(unsigned n);
/* Log a critical error with strerror(errno) and exit 1. */
void fatal(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
/* Log a critical error and exit 1. */
void fatalx(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));

#endif
