/*
 * The control socket (daemon.control_socket): a UNIX stream socket on the
 * daemon's loop taking one JSON request line and giving one JSON answer
 * line.  Who may talk is decided by SO_PEERCRED (root, the daemon's user,
 * the socket's group); what they may ask is a table of commands that the
 * daemon passes in, one row per command.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <sys/types.h>

#include <stddef.h>

#define CONTROL_MAX_REQUEST 4096  /* bytes of one request line */
#define CONTROL_TIMEOUT_MS 5000   /* a connection gets this long */
#define CONTROL_MAX_CONNECTIONS 8 /* at once; more are refused */

struct event_base;
struct json;
struct json_writer;
struct control;
struct control_cmd;

/* Who sent a request (SO_PEERCRED). */
struct control_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
};

/* One parsed request; everything borrowed for the command's call. */
struct control_req {
	const struct control_cmd *cmd;
	const struct json *root; /* the request object */
	struct control_peer peer;
};

/*
 * Run a command: add the answer's members to answer (an object already
 * holding "ok": true) and return 0, or return -1 with *error set (caller
 * frees; the answer becomes {"ok":false,"error":...}).
 */
typedef int (*control_fn)(const struct control_req *req,
    struct json_writer *answer, char **error, void *arg);

/* A row of the command table; the table ends with a NULL name. */
struct control_cmd {
	const char *name;
	int mutates;             /* changes state: logged with the peer */
	const char *const *args; /* required string members; NULL: none */
	control_fn fn;
};

/* A control socket on base answering from table (both borrowed). */
struct control *control_new(
    struct event_base *base, const struct control_cmd *table, void *arg);
/* Close the socket (removing its file) and every connection; NULL: no-op. */
void control_free(struct control *c);
/*
 * Listen on path ("" closes).  Nothing happens when path is the one
 * served.  A stale socket file (nobody answers) is removed first.  When
 * make_dir, the missing parent directory is created (mode 0755).  On
 * failure the previous socket stays and -1 is returned with *cause set
 * (caller frees).
 */
int control_listen(
    struct control *c, const char *path, int make_dir, char **cause);
/* The path served, or NULL. */
const char *control_path(const struct control *c);
/*
 * Parse one request line against table: an object whose "cmd" names a
 * row and that has each of the row's args as a string.  0 with req->cmd
 * and *root set (caller frees *root with json_free), or -1 with *cause.
 */
int control_parse(const struct control_cmd *table, const char *line, size_t len,
    struct control_req *req, struct json **root, char **cause);
/*
 * The answer line (newline included, caller frees) to a request line
 * from peer: parse, run the command, or say why not.
 */
char *control_answer(const struct control_cmd *table, const char *line,
    size_t len, const struct control_peer *peer, void *arg);

#endif
