/*
 * The control socket: accept on the loop, read one request line per
 * connection (capped, with a deadline), check the peer, answer one line,
 * close.  Nothing here blocks: the sockets are non-blocking and an answer
 * that does not fit the socket buffer at once is written as it drains.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "control.h"
#include "json.h"
#include "log.h"
#include "xmalloc.h"

struct control_conn {
	struct control *c;
	int fd;
	struct event *ev;
	struct control_peer peer;
	char in[CONTROL_MAX_REQUEST + 1];
	size_t in_len;
	char *out; /* the answer being written */
	size_t out_len;
	size_t out_off;
	struct control_conn *next;
};

struct control {
	struct event_base *base;         /* borrowed */
	const struct control_cmd *table; /* borrowed */
	void *arg;
	char *path;
	int fd;
	struct event *ev;
	dev_t dev; /* the socket file we made, to remove only that */
	ino_t ino;
	gid_t gid; /* the socket's group */
	struct control_conn *conns;
	size_t nconns;
};

/* A control socket on base answering from table (both borrowed). */
struct control *
control_new(struct event_base *base, const struct control_cmd *table, void *arg)
{
	struct control *c = xcalloc(1, sizeof(*c));

	c->base = base;
	c->table = table;
	c->arg = arg;
	c->fd = -1;
	return c;
}

/* Close a connection and free it. */
static void
control_conn_free(struct control_conn *cn)
{
	struct control *c = cn->c;
	struct control_conn **pp;

	for (pp = &c->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cn) {
			*pp = cn->next;
			c->nconns--;
			break;
		}
	event_free(cn->ev);
	close(cn->fd);
	free(cn->out);
	free(cn);
}

/* Stop listening: close the socket and remove its file if still ours. */
static void
control_close(struct control *c)
{
	struct stat st;

	if (c->fd == -1)
		return;
	event_free(c->ev);
	c->ev = NULL;
	close(c->fd);
	c->fd = -1;
	if (lstat(c->path, &st) == 0 && st.st_dev == c->dev &&
	    st.st_ino == c->ino)
		unlink(c->path);
	free(c->path);
	c->path = NULL;
}

/* Close the socket (removing its file) and every connection; NULL: no-op. */
void
control_free(struct control *c)
{
	if (c == NULL)
		return;
	while (c->conns != NULL)
		control_conn_free(c->conns);
	control_close(c);
	free(c);
}

/* The path served, or NULL. */
const char *
control_path(const struct control *c)
{
	return c->path;
}

/*
 * Parse one request line against table: an object whose "cmd" names a
 * row and that has each of the row's args as a string.
 */
int
control_parse(const struct control_cmd *table, const char *line, size_t len,
    struct control_req *req, struct json **root, char **cause)
{
	const struct control_cmd *cmd;
	const char *name, *const *a;
	struct json *j;
	char *why = NULL;

	*root = NULL;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if ((j = json_parse(line, len, &why)) == NULL) {
		*cause = xasprintf("request is not JSON: %s", why ? why : "?");
		free(why);
		return -1;
	}
	if (json_type(j) != JSON_OBJECT) {
		*cause = xstrdup("request is not a JSON object");
		json_free(j);
		return -1;
	}
	if ((name = json_get_str(j, "cmd")) == NULL) {
		*cause = xstrdup("request has no \"cmd\" string");
		json_free(j);
		return -1;
	}
	for (cmd = table; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, name) == 0)
			break;
	if (cmd->name == NULL) {
		*cause = xasprintf("unknown command \"%.64s\"", name);
		json_free(j);
		return -1;
	}
	for (a = cmd->args; a != NULL && *a != NULL; a++)
		if (json_get_str(j, *a) == NULL) {
			*cause = xasprintf(
			    "%s: missing \"%s\" string", cmd->name, *a);
			json_free(j);
			return -1;
		}
	req->cmd = cmd;
	req->root = j;
	*root = j;
	return 0;
}

/* {"ok":false,"error":msg} as a line (caller frees). */
static char *
control_error_line(const char *msg)
{
	struct json_writer *jw = json_writer_new();
	char *line;
	size_t len;

	json_w_obj_open(jw);
	json_w_kbool(jw, "ok", 0);
	json_w_kstr(jw, "error", msg);
	json_w_obj_close(jw);
	line = json_writer_line(jw, &len);
	json_writer_free(jw);
	return line;
}

/*
 * The answer line (newline included, caller frees) to a request line
 * from peer: parse, run the command, or say why not.
 */
char *
control_answer(const struct control_cmd *table, const char *line, size_t len,
    const struct control_peer *peer, void *arg)
{
	struct control_req req;
	struct json_writer *jw;
	struct json *root;
	char *error = NULL, *out;
	size_t outlen;

	memset(&req, 0, sizeof(req));
	req.peer = *peer;
	if (control_parse(table, line, len, &req, &root, &error) == -1) {
		out = control_error_line(error);
		free(error);
		return out;
	}
	if (req.cmd->mutates)
		log_info("control: %s from uid %ld gid %ld pid %ld",
		    req.cmd->name, (long)peer->uid, (long)peer->gid,
		    (long)peer->pid);
	jw = json_writer_new();
	json_w_obj_open(jw);
	json_w_kbool(jw, "ok", 1);
	if (req.cmd->fn(&req, jw, &error, arg) == -1) {
		out = control_error_line(error ? error : "failed");
		free(error);
	} else {
		json_w_obj_close(jw);
		out = json_writer_line(jw, &outlen);
	}
	json_writer_free(jw);
	json_free(root);
	return out;
}

/* 1 if gid is among the supplementary groups of process pid (/proc). */
static int
control_in_group(pid_t pid, gid_t gid)
{
	char path[64], line[1024], *p, *end;
	unsigned long g;
	FILE *fp;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (p = line + 7;; p = end) {
			errno = 0;
			g = strtoul(p, &end, 10);
			if (end == p || errno != 0)
				break;
			if ((gid_t)g == gid)
				found = 1;
		}
		break;
	}
	fclose(fp);
	return found;
}

/* May this peer use the socket: root, our user, or the socket's group. */
static int
control_allowed(const struct control *c, const struct control_peer *p)
{
	return p->uid == 0 || p->uid == geteuid() || p->gid == c->gid ||
	    control_in_group(p->pid, c->gid);
}

static void control_conn_cb(evutil_socket_t, short, void *);

/* Start writing the answer; the connection closes once it is out. */
static void
control_conn_answer(struct control_conn *cn, char *line)
{
	struct timeval tv = { CONTROL_TIMEOUT_MS / 1000,
		(CONTROL_TIMEOUT_MS % 1000) * 1000 };

	cn->out = line;
	cn->out_len = strlen(line);
	cn->out_off = 0;
	event_del(cn->ev);
	event_assign(cn->ev, cn->c->base, cn->fd, EV_WRITE | EV_PERSIST,
	    control_conn_cb, cn);
	if (event_add(cn->ev, &tv) == -1)
		control_conn_free(cn);
}

/* Write what the socket takes; 1 when the connection is finished. */
static int
control_conn_write(struct control_conn *cn)
{
	ssize_t n;

	while (cn->out_off < cn->out_len) {
		n = write(
		    cn->fd, cn->out + cn->out_off, cn->out_len - cn->out_off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return 1;
		cn->out_off += (size_t)n;
	}
	return 1;
}

/* Read what arrived; answer once a line (or the end of input) is in. */
static void
control_conn_read(struct control_conn *cn)
{
	char *nl, *line;
	ssize_t n;
	int eof = 0;

	for (;;) {
		if (cn->in_len == CONTROL_MAX_REQUEST) {
			control_conn_answer(
			    cn, control_error_line("request too long"));
			return;
		}
		n = read(cn->fd, cn->in + cn->in_len,
		    CONTROL_MAX_REQUEST - cn->in_len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == -1) {
			control_conn_free(cn);
			return;
		}
		if (n == 0) {
			eof = 1;
			break;
		}
		cn->in_len += (size_t)n;
		cn->in[cn->in_len] = '\0';
		if (memchr(cn->in, '\n', cn->in_len) != NULL)
			break;
	}
	cn->in[cn->in_len] = '\0';
	nl = memchr(cn->in, '\n', cn->in_len);
	if (nl == NULL && !eof)
		return; /* wait for the rest */
	if (nl == NULL && cn->in_len == 0) {
		control_conn_free(cn);
		return;
	}
	line = control_answer(cn->c->table, cn->in,
	    nl != NULL ? (size_t)(nl - cn->in) : cn->in_len, &cn->peer,
	    cn->c->arg);
	control_conn_answer(cn, line);
}

/* A connection is readable, writable, or out of time. */
static void
control_conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control_conn *cn = arg;

	if (what & EV_TIMEOUT) {
		control_conn_free(cn);
		return;
	}
	if (cn->out != NULL) {
		if (control_conn_write(cn))
			control_conn_free(cn);
		return;
	}
	control_conn_read(cn);
}

/* A client connected: check who it is, then wait for its request. */
static void
control_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct timeval tv = { CONTROL_TIMEOUT_MS / 1000,
		(CONTROL_TIMEOUT_MS % 1000) * 1000 };
	struct control *c = arg;
	struct control_conn *cn;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char *msg;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	if (c->nconns >= CONTROL_MAX_CONNECTIONS ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		close(fd);
		return;
	}
	cn = xcalloc(1, sizeof(*cn));
	cn->c = c;
	cn->fd = fd;
	cn->peer.uid = cred.uid;
	cn->peer.gid = cred.gid;
	cn->peer.pid = cred.pid;
	cn->ev =
	    event_new(c->base, fd, EV_READ | EV_PERSIST, control_conn_cb, cn);
	if (cn->ev == NULL)
		fatalx("control: event_new failed");
	cn->next = c->conns;
	c->conns = cn;
	c->nconns++;
	if (!control_allowed(c, &cn->peer)) {
		log_warnx("control: refused uid %ld pid %ld (not root, the "
			  "daemon's user or group %ld)",
		    (long)cred.uid, (long)cred.pid, (long)c->gid);
		msg = xasprintf("permission denied: uid %ld may not use this "
				"socket (root, uid %ld or group %ld only)",
		    (long)cred.uid, (long)geteuid(), (long)c->gid);
		control_conn_answer(cn, control_error_line(msg));
		free(msg);
		control_conn_cb(fd, EV_WRITE, cn);
		return;
	}
	if (event_add(cn->ev, &tv) == -1)
		control_conn_free(cn);
}

/*
 * Remove a socket file nobody answers on (left by a daemon that was
 * killed); -1 with *cause if someone listens or it is not a socket.
 */
static int
control_clear_stale(const char *path, char **cause)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) == -1)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		*cause = xasprintf("%s exists and is not a socket", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*cause = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	/* A local connect answers at once: listening, or refused. */
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		*cause = xasprintf("%s is in use by another process", path);
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		*cause = xasprintf(
		    "cannot remove the stale %s: %s", path, strerror(errno));
		return -1;
	}
	log_info("control: removed the stale socket %s", path);
	return 0;
}

/* Make the missing parent directory of path (one level). */
static int
control_make_dir(const char *path, char **cause)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			*cause = xasprintf(
			    "cannot create %s: %s", dir, strerror(errno));
			free(dir);
			return -1;
		}
	}
	free(dir);
	return 0;
}

/* Listen on path ("" closes); the previous socket stays on failure. */
int
control_listen(struct control *c, const char *path, int make_dir, char **cause)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old_mask;
	int fd, rc;

	if (c->path != NULL && strcmp(c->path, path) == 0)
		return 0;
	if (*path == '\0') {
		control_close(c);
		return 0;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*cause = xasprintf("control_socket %s is too long", path);
		return -1;
	}
	if ((make_dir && control_make_dir(path, cause) == -1) ||
	    control_clear_stale(path, cause) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*cause = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	/* Born 0660: no moment where others could connect. */
	old_mask = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (rc == -1 || listen(fd, 16) == -1 || lstat(path, &st) == -1) {
		*cause = xasprintf("cannot listen on control socket %s: %s",
		    path, strerror(errno));
		close(fd);
		return -1;
	}
	control_close(c);
	c->fd = fd;
	c->path = xstrdup(path);
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->gid = st.st_gid;
	c->ev =
	    event_new(c->base, fd, EV_READ | EV_PERSIST, control_accept_cb, c);
	if (c->ev == NULL || event_add(c->ev, NULL) == -1)
		fatalx("control: cannot add the listener");
	log_info("control socket on %s", path);
	return 0;
}
