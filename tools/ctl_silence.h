/*
 * taskwatchctl silence: add, list and expire the daemon's silences
 * through its control socket.
 */
#ifndef CTL_SILENCE_H
#define CTL_SILENCE_H

#define CTL_SILENCE_SYNOPSIS                                                 \
	"taskwatchctl silence add --match field=glob ... --for duration|"    \
	"--until time\n"                                                     \
	"                          [--comment text] [-c socket] [-f file]\n" \
	"       taskwatchctl silence list [--json] [-c socket] [-f file]\n"  \
	"       taskwatchctl silence expire id [-c socket] [-f file]"

/* Run "silence add|list|expire ..." (argv[0] is "silence"); exit status. */
int ctl_silence(int argc, char *argv[]);

#endif
