/*
 * taskwatchctl test-event: which rules an event would match and which
 * notifiers (and hook commands) it would reach, from the config alone.
 */
#ifndef CTL_TEST_H
#define CTL_TEST_H

/* Run "test-event" (argv[0]); the exit status. */
int ctl_test_event(int argc, char *argv[]);

#endif
