/*
 * twtool: small helpers for the integration scripts, so they need neither
 * python nor socat.  `notify-listen` plays systemd's side of NOTIFY_SOCKET
 * and writes every line it receives, with a millisecond timestamp, to a
 * file; `free-port` prints a TCP port on 127.0.0.1 that was free a moment
 * ago.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t twtool_stop;

/* SIGTERM/SIGINT: leave the receive loop. */
static void
twtool_stop_cb(int sig)
{
	(void)sig;
	twtool_stop = 1;
}

/* Milliseconds on CLOCK_MONOTONIC. */
static unsigned long long
twtool_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 +
	    (unsigned long long)ts.tv_nsec / 1000000;
}

/* Print usage and exit 64. */
static void __attribute__((noreturn)) twtool_usage(void)
{
	fprintf(stderr,
	    "usage: twtool notify-listen socket outfile "
	    "[seconds]\n"
	    "       twtool free-port\n");
	exit(64);
}

/*
 * Bind a datagram socket at name (a path, or "@name" for an abstract
 * one) and append "<ms> <line>" for each line of each datagram to out,
 * until a signal or the time limit.
 */
static int
twtool_notify_listen(const char *name, const char *outfile, long secs)
{
	struct sockaddr_un sa;
	struct pollfd pfd;
	unsigned long long end = twtool_ms() + (unsigned long long)secs * 1000;
	char buf[4096], *line, *save = NULL;
	socklen_t len;
	size_t nlen = strlen(name);
	ssize_t n;
	FILE *out;
	int fd;

	if (nlen < 2 || nlen >= sizeof(sa.sun_path) ||
	    (name[0] != '/' && name[0] != '@'))
		twtool_usage();
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, name, nlen);
	if (name[0] == '@') {
		sa.sun_path[0] = '\0';
		len =
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + nlen);
	} else {
		unlink(name);
		len = (socklen_t)sizeof(sa);
	}
	if ((out = fopen(outfile, "a")) == NULL) {
		perror(outfile);
		return 1;
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, len) == -1) {
		perror("twtool: bind");
		return 1;
	}
	/* Tell the caller the socket is there. */
	fprintf(out, "%llu LISTENING\n", twtool_ms());
	fflush(out);
	signal(SIGTERM, twtool_stop_cb);
	signal(SIGINT, twtool_stop_cb);
	while (!twtool_stop && twtool_ms() < end) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((n = recv(fd, buf, sizeof(buf) - 1, 0)) <= 0)
			continue;
		buf[n] = '\0';
		for (line = strtok_r(buf, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save))
			fprintf(out, "%llu %s\n", twtool_ms(), line);
		fflush(out);
	}
	close(fd);
	if (name[0] == '/')
		unlink(name);
	fclose(out);
	return 0;
}

/* Print a TCP port of 127.0.0.1 that the kernel handed out just now. */
static int
twtool_free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		perror("twtool: free-port");
		return 1;
	}
	printf("%u\n", (unsigned)ntohs(sin.sin_port));
	close(fd);
	return 0;
}

int
main(int argc, char *argv[])
{
	long secs = 120;
	char *end;

	if (argc < 2)
		twtool_usage();
	if (strcmp(argv[1], "notify-listen") == 0) {
		if (argc != 4 && argc != 5)
			twtool_usage();
		if (argc == 5) {
			errno = 0;
			secs = strtol(argv[4], &end, 10);
			if (errno != 0 || *end != '\0' || secs <= 0)
				twtool_usage();
		}
		return twtool_notify_listen(argv[2], argv[3], secs);
	}
	if (strcmp(argv[1], "free-port") == 0 && argc == 2)
		return twtool_free_port();
	twtool_usage();
}
