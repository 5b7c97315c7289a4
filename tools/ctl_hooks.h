/*
 * taskwatchctl hooks: each exec notifier's run budget and circuit
 * breaker, and closing a breaker, through the daemon's control socket.
 */
#ifndef CTL_HOOKS_H
#define CTL_HOOKS_H

#define CTL_HOOKS_SYNOPSIS                                    \
	"taskwatchctl hooks [--json] [-c socket] [-f file]\n" \
	"       taskwatchctl hooks reset notifier [-c socket] [-f file]"

/* Run "hooks [reset NAME] ..." (argv[0] is "hooks"); exit status. */
int ctl_hooks(int argc, char *argv[]);

#endif
