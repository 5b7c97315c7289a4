/*
 * The systemd service notification protocol, spoken directly: one datagram
 * per message to the unix socket named by $NOTIFY_SOCKET (a path, or an
 * abstract name written "@name").  No libsystemd.  Without NOTIFY_SOCKET
 * every call is a no-op; sending never blocks, and a failure is logged once
 * and otherwise ignored.
 */
#ifndef SDNOTIFY_H
#define SDNOTIFY_H

#include <stdint.h>

/*
 * Read $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID and open the
 * socket.  0 when notifications are on or not asked for; -1 (logged) when
 * $NOTIFY_SOCKET is unusable, after which the calls below do nothing.
 */
int sdnotify_init(void);
/* 1 when messages go to a socket. */
int sdnotify_enabled(void);
/* Close the socket; later calls do nothing until sdnotify_init. */
void sdnotify_close(void);
/*
 * Send one message of "KEY=value" lines as it is; -1 when it was not sent
 * (no socket, or an error, logged only the first time).
 */
int sdnotify_send(const char *msg);
/* READY=1: startup or a reload is complete. */
void sdnotify_ready(void);
/* RELOADING=1 with MONOTONIC_USEC=<CLOCK_MONOTONIC in microseconds>. */
void sdnotify_reloading(void);
/* STOPPING=1: a graceful stop began. */
void sdnotify_stopping(void);
/* STATUS=<text>, the text cut at its first newline. */
void sdnotify_status(const char *text);
/* WATCHDOG=1. */
void sdnotify_watchdog(void);
/*
 * How often to send WATCHDOG=1 in milliseconds: half of $WATCHDOG_USEC, or
 * 0 when the service has no watchdog or $WATCHDOG_PID names another process.
 */
uint64_t sdnotify_watchdog_ms(void);

#endif
