/*
 * taskwatchctl poll (and the commands after it): a blocking client of the
 * daemon's control socket.  One request line out, one answer line back,
 * with a deadline; a socket nobody answers on says so with exit 69.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "ctl_config.h"
#include "ctl_control.h"
#include "json.h"
#include "xmalloc.h"

#define CTL_EX_USAGE 64
#define CTL_EX_CONFIG 78
#define CTL_CONTROL_TIMEOUT_S 10
#define CTL_CONTROL_MAX_ANSWER (1024 * 1024)

/* Print usage and exit 64. */
static void __attribute__((noreturn)) ctl_control_usage(void)
{
	fprintf(stderr,
	    "usage: taskwatchctl poll watch [-c socket] [-f file]\n"
	    "       taskwatchctl dead retry id|--all [--notifier name] "
	    "[-c socket] [-f file]\n"
	    "       taskwatchctl ack task [--watch name] [--comment text] "
	    "[--remove] [-c socket] [-f file]\n");
	exit(CTL_EX_USAGE);
}

/* The socket path: -c, the config's control_socket, or the default. */
int
ctl_control_path(const char *sock, const char *file, char **path)
{
	char *v = NULL;
	int rc;

	if (sock != NULL) {
		*path = xstrdup(sock);
		return 0;
	}
	if ((rc = ctl_config_daemon_key(file, "control_socket", &v)) != 0)
		return rc;
	if (v != NULL && *v == '\0') {
		fprintf(stderr,
		    "taskwatchctl: the control socket is disabled "
		    "(daemon.control_socket is \"\" in %s)\n",
		    file ? file : CONFIG_DEFAULT_PATH);
		free(v);
		return 1;
	}
	*path = v != NULL ? v : xstrdup(CONFIG_CONTROL_SOCKET);
	return 0;
}

/* Connect to the socket at path; -1 (errno set) if nothing answers. */
static int
ctl_control_connect(const char *path)
{
	struct timeval tv = { CTL_CONTROL_TIMEOUT_S, 0 };
	struct sockaddr_un sun;
	int fd, saved;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Write all of p; -1 on error. */
static int
ctl_control_write(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read the answer up to its newline or the end; -1 on error. */
static int
ctl_control_read(int fd, struct buf *b)
{
	char chunk[4096];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			return 0;
		if (buf_add(b, chunk, (size_t)n) == -1) {
			errno = EMSGSIZE;
			return -1;
		}
		if (memchr(chunk, '\n', (size_t)n) != NULL)
			return 0;
	}
}

/*
 * Send one request line; print the answer line when print, and give it
 * parsed in *out (caller frees) when out is not NULL.  The exit status.
 */
static int
ctl_control_send(
    const char *path, const char *request, int print, struct json **out)
{
	struct json *answer;
	struct buf b;
	char *line, *cause = NULL;
	int fd, okv = 0, rc;

	if (out != NULL)
		*out = NULL;
	if ((fd = ctl_control_connect(path)) == -1) {
		fprintf(stderr,
		    "taskwatchctl: cannot connect to %s: %s; is taskwatchd "
		    "running? (tried %s; use -c or -f)\n",
		    path, strerror(errno), path);
		return CTL_EX_UNAVAILABLE;
	}
	line = xasprintf("%s\n", request);
	buf_init(&b, CTL_CONTROL_MAX_ANSWER);
	/* A refusal comes before the request is read: read it anyway. */
	(void)ctl_control_write(fd, line, strlen(line));
	if (ctl_control_read(fd, &b) == -1) {
		fprintf(
		    stderr, "taskwatchctl: %s: %s\n", path, strerror(errno));
		rc = CTL_EX_UNAVAILABLE;
		goto out;
	}
	if (b.len == 0) {
		fprintf(stderr, "taskwatchctl: %s: no answer\n", path);
		rc = CTL_EX_UNAVAILABLE;
		goto out;
	}
	if (print) {
		fputs(buf_str(&b), stdout);
		if (b.data[b.len - 1] != '\n')
			putchar('\n');
	}
	answer = json_parse(b.data, strcspn(b.data, "\n"), &cause);
	free(cause);
	rc = answer != NULL && json_bool(json_get(answer, "ok"), &okv) == 0 &&
		okv
	    ? 0
	    : 1;
	if (rc != 0 && answer != NULL && json_get_str(answer, "error"))
		fprintf(stderr, "taskwatchctl: %s\n",
		    json_get_str(answer, "error"));
	if (rc == 0 && out != NULL)
		*out = answer;
	else
		json_free(answer);
out:
	buf_free(&b);
	free(line);
	close(fd);
	return rc;
}

/* Send one request line and print the answer; the exit status. */
int
ctl_control_request(const char *path, const char *request)
{
	return ctl_control_send(path, request, 1, NULL);
}

/* As ctl_control_call, giving the answer instead of printing it. */
int
ctl_control_ask(const char *sock, const char *file, struct json_writer *jw,
    struct json **answer)
{
	char *path = NULL;
	int rc;

	*answer = NULL;
	json_w_obj_close(jw);
	if ((rc = ctl_control_path(sock, file, &path)) == 0)
		rc = ctl_control_send(
		    path, json_writer_str(jw, NULL), 0, answer);
	json_writer_free(jw);
	free(path);
	return rc;
}

/*
 * Finish jw (an open request object with its members), send it to the
 * socket -c/-f name and print the answer; frees jw.  The exit status, as
 * ctl_control_request.
 */
int
ctl_control_call(const char *sock, const char *file, struct json_writer *jw)
{
	char *path = NULL;
	int rc;

	json_w_obj_close(jw);
	if ((rc = ctl_control_path(sock, file, &path)) == 0)
		rc = ctl_control_request(path, json_writer_str(jw, NULL));
	json_writer_free(jw);
	free(path);
	return rc;
}

/* Parse a control command's options (see ctl_control.h). */
int
ctl_control_args(int argc, char *argv[], const struct ctl_control_opt *opts,
    const char **sock, const char **file)
{
	struct option longopts[CTL_CONTROL_MAX_OPTS + 1];
	const struct ctl_control_opt *o;
	size_t i, n = 0;
	int ch;

	for (o = opts; o != NULL && o->name != NULL; o++, n++) {
		if (n == CTL_CONTROL_MAX_OPTS)
			return -1;
		longopts[n].name = o->name;
		longopts[n].has_arg =
		    o->flag != NULL ? no_argument : required_argument;
		longopts[n].flag = NULL;
		longopts[n].val = 256 + (int)n;
	}
	memset(&longopts[n], 0, sizeof(longopts[n]));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:f:", longopts, NULL)) != -1) {
		if (ch == 'c')
			*sock = optarg;
		else if (ch == 'f')
			*file = optarg;
		else if (ch < 256 || (i = (size_t)(ch - 256)) >= n)
			return -1;
		else if (opts[i].flag != NULL)
			*opts[i].flag = 1;
		else if (opts[i].list == NULL)
			*opts[i].str = optarg;
		else if (*opts[i].nlist == opts[i].max)
			return -1;
		else
			opts[i].list[(*opts[i].nlist)++] = optarg;
	}
	return argc - optind;
}

/* Run "poll WATCH [-c socket] [-f file]"; the exit status. */
int
ctl_poll(int argc, char *argv[])
{
	const char *sock = NULL, *file = NULL;
	struct json_writer *jw;

	if (ctl_control_args(argc, argv, NULL, &sock, &file) != 1)
		ctl_control_usage();
	jw = json_writer_new();
	json_w_obj_open(jw);
	json_w_kstr(jw, "cmd", "poll");
	json_w_kstr(jw, "watch", argv[optind]);
	return ctl_control_call(sock, file, jw);
}

/*
 * Run "dead retry ID|--all [--notifier name] [-c socket] [-f file]" (argv[0]
 * is "retry"); the exit status.
 */
int
ctl_dead_retry(int argc, char *argv[])
{
	const char *sock = NULL, *file = NULL, *notifier = NULL, *id = NULL;
	int all = 0, left;
	const struct ctl_control_opt opts[] = {
		{ .name = "all", .flag = &all },
		{ .name = "notifier", .str = &notifier },
		{ .name = NULL },
	};
	struct json_writer *jw;

	left = ctl_control_args(argc, argv, opts, &sock, &file);
	if (left == 1 && !all)
		id = argv[optind];
	else if (left != 0 || !all)
		ctl_control_usage();
	jw = json_writer_new();
	json_w_obj_open(jw);
	json_w_kstr(jw, "cmd", "dead_retry");
	if (id != NULL)
		json_w_kstr(jw, "id", id);
	else
		json_w_kbool(jw, "all", 1);
	if (notifier != NULL)
		json_w_kstr(jw, "notifier", notifier);
	return ctl_control_call(sock, file, jw);
}

/*
 * Run "ack TASK [--watch name] [--comment text] [--remove] [-c socket]
 * [-f file]"; the exit status.
 */
int
ctl_ack(int argc, char *argv[])
{
	const char *sock = NULL, *file = NULL, *watch = NULL, *comment = NULL;
	int remove = 0;
	const struct ctl_control_opt opts[] = {
		{ .name = "watch", .str = &watch },
		{ .name = "comment", .str = &comment },
		{ .name = "remove", .flag = &remove },
		{ .name = NULL },
	};
	struct json_writer *jw;

	if (ctl_control_args(argc, argv, opts, &sock, &file) != 1 ||
	    (remove && comment != NULL))
		ctl_control_usage();
	jw = json_writer_new();
	json_w_obj_open(jw);
	json_w_kstr(jw, "cmd", "ack");
	json_w_kstr(jw, "task", argv[optind]);
	if (watch != NULL)
		json_w_kstr(jw, "watch", watch);
	if (comment != NULL)
		json_w_kstr(jw, "comment", comment);
	if (remove)
		json_w_kbool(jw, "remove", 1);
	return ctl_control_call(sock, file, jw);
}

/* A listing command: ask, and print the answer raw with --json. */
int
ctl_control_list(int argc, char *argv[], const char *cmd, void (*usage)(void),
    struct json **answer)
{
	const char *sock = NULL, *file = NULL;
	int rc, json = 0;
	const struct ctl_control_opt opts[] = {
		{ .name = "json", .flag = &json },
		{ .name = NULL },
	};
	struct json_writer *jw;

	*answer = NULL;
	if (ctl_control_args(argc, argv, opts, &sock, &file) != 0)
		usage();
	jw = json_writer_new();
	json_w_obj_open(jw);
	json_w_kstr(jw, "cmd", cmd);
	if ((rc = ctl_control_ask(sock, file, jw, answer)) != 0 || !json)
		return rc;
	jw = json_writer_new();
	json_w_value(jw, *answer);
	printf("%s\n", json_writer_str(jw, NULL));
	json_writer_free(jw);
	json_free(*answer);
	*answer = NULL;
	return 0;
}
