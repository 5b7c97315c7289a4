/*
 * taskwatchctl's side of the daemon's control socket: find the socket,
 * send one JSON request line, read the one-line answer.  `poll` is the
 * first command; later ones reuse ctl_control_request.
 */
#ifndef CTL_CONTROL_H
#define CTL_CONTROL_H

#include <stddef.h>

#define CTL_EX_UNAVAILABLE 69 /* sysexits EX_UNAVAILABLE: no daemon */

/*
 * The socket path: sock (-c) if given, else daemon.control_socket of the
 * config file (file, or the default config when NULL and readable), else
 * the default path.  0 with *path set (caller frees), or an exit status
 * after printing why.
 */
int ctl_control_path(const char *sock, const char *file, char **path);
/*
 * Send request (one JSON object, no newline) to the socket at path and
 * print the answer.  The exit status: 0 for {"ok":true}, 1 for an error
 * answer, 69 when nothing answers.
 */
int ctl_control_request(const char *path, const char *request);
struct json_writer;
/*
 * Finish jw (an open request object with its members), send it to the
 * socket -c/-f name and print the answer; frees jw.  The exit status, as
 * ctl_control_request.
 */
int ctl_control_call(
    const char *sock, const char *file, struct json_writer *jw);
struct json;
/*
 * As ctl_control_call, but the answer is not printed: on exit status 0
 * it is in *answer (caller frees); an error answer is printed on stderr.
 */
int ctl_control_ask(const char *sock, const char *file, struct json_writer *jw,
    struct json **answer);
#define CTL_CONTROL_MAX_OPTS 8 /* long options of one command */

/*
 * A long option of a control command: --name with an argument sets *str,
 * or is appended to list (at most max, counted in *nlist) when list is
 * set; --name without one sets *flag to 1 when flag is set.
 */
struct ctl_control_opt {
	const char *name;
	const char **str;
	int *flag;
	const char **list;
	size_t *nlist;
	size_t max;
};
/*
 * Parse a control command's argv (argv[0] its name): -c socket, -f file
 * and opts (ending with a NULL name; NULL: none).  The number of operands
 * left, from argv[optind], or -1 for an unknown or repeated-too-often
 * option.
 */
int ctl_control_args(int argc, char *argv[], const struct ctl_control_opt *opts,
    const char **sock, const char **file);
/*
 * A listing command ("silence list", "hooks"): parse [--json] -c -f
 * (usage() on a bad one), ask the daemon {"cmd": cmd}; with --json print
 * the answer as it came.  The exit status, with *answer NULL when all is
 * done, or 0 with *answer (caller frees) to print as a table.
 */
int ctl_control_list(int argc, char *argv[], const char *cmd,
    void (*usage)(void), struct json **answer);
/* Run "poll WATCH [-c socket] [-f file]"; the exit status. */
int ctl_poll(int argc, char *argv[]);
/*
 * Run "dead retry ID|--all [--notifier name] [-c socket] [-f file]" (argv[0]
 * is "retry"); the exit status.
 */
int ctl_dead_retry(int argc, char *argv[]);
/*
 * Run "ack TASK [--watch name] [--comment text] [--remove] [-c socket]
 * [-f file]"; the exit status.
 */
int ctl_ack(int argc, char *argv[]);

#endif
