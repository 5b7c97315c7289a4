/*
 * taskwatchctl status, watches and tasks: read the daemon's status
 * endpoint and print readable tables (or the JSON as it came).
 */
#ifndef CTL_STATUS_H
#define CTL_STATUS_H

/* Run "status", "watches" or "tasks" (argv[0]); the exit status. */
int ctl_status(int argc, char *argv[]);

#endif
