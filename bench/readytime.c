/*
 * readytime: start a program as a systemd Type=notify service would and
 * time it to READY=1.  It binds a datagram socket, runs the program with
 * NOTIFY_SOCKET pointing at it, prints "ready_ms N pid P" once READY=1
 * arrives (milliseconds on CLOCK_MONOTONIC from just before fork), then
 * waits for the program to exit, passing SIGTERM and SIGINT on to it.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t readytime_sig;

/* SIGTERM/SIGINT: remember it for the main loop. */
static void
readytime_sig_cb(int sig)
{
	readytime_sig = sig;
}

/* Milliseconds (with a fraction) on CLOCK_MONOTONIC. */
static double
readytime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Print usage and exit 64. */
static void
readytime_usage(void)
{
	fprintf(stderr,
	    "usage: readytime socket-path timeout-s program "
	    "[args ...]\n");
	exit(64);
}

/* 1 if a notify datagram has a READY=1 line. */
static int
readytime_is_ready(char *buf, ssize_t n)
{
	char *line, *save = NULL;

	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		if (strcmp(line, "READY=1") == 0)
			return 1;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un sa;
	struct sigaction act;
	struct pollfd pfd;
	char buf[4096], *end;
	double t0, deadline;
	ssize_t n;
	pid_t pid;
	long secs;
	int fd, status, ready = 0;

	if (argc < 4 || strlen(argv[1]) >= sizeof(sa.sun_path))
		readytime_usage();
	secs = strtol(argv[2], &end, 10);
	if (*end != '\0' || secs <= 0)
		readytime_usage();
	memset(&act, 0, sizeof(act));
	act.sa_handler = readytime_sig_cb;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, argv[1], strlen(argv[1]));
	unlink(argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		perror("readytime: socket");
		return 1;
	}
	t0 = readytime_ms();
	if ((pid = fork()) == -1) {
		perror("readytime: fork");
		return 1;
	}
	if (pid == 0) {
		setenv("NOTIFY_SOCKET", argv[1], 1);
		execv(argv[3], argv + 3);
		_exit(127);
	}
	deadline = t0 + (double)secs * 1000.0;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!ready && readytime_sig == 0 && readytime_ms() < deadline) {
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if ((n = recv(fd, buf, sizeof(buf) - 1, 0)) <= 0)
			continue;
		if (readytime_is_ready(buf, n)) {
			printf("ready_ms %.1f pid %ld\n", readytime_ms() - t0,
			    (long)pid);
			fflush(stdout);
			ready = 1;
		}
	}
	if (!ready) {
		printf("ready_ms none pid %ld\n", (long)pid);
		fflush(stdout);
		kill(pid, SIGTERM);
	}
	/* Keep the socket drained so the daemon never blocks on it. */
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (readytime_sig != 0) {
			kill(pid, readytime_sig);
			readytime_sig = 0;
		}
		if (poll(&pfd, 1, 50) > 0)
			(void)recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	}
	close(fd);
	unlink(argv[1]);
	if (WIFEXITED(status))
		return ready ? WEXITSTATUS(status) : 1;
	return ready ? 128 + WTERMSIG(status) : 1;
}
