/* SPDX-License-Identifier: ISC */
/*
 * catcher.h: a tiny SMTP server on 127.0.0.1 for the unit tests that
 * deliver mail (test_smtp, test_outbox), in a forked child so that libcurl
 * talks to a real socket. It answers EHLO with a bare 250 (no STARTTLS, no
 * AUTH), accepts every sender and recipient and every message, and reports
 * to the parent through a pipe: 'a' when it accepts a connection, 'm' when
 * it has answered 250 to the end of a message. In hold mode it greets a
 * connection only after catcher_release(), so a test can look at the world
 * while a delivery is in flight. One connection at a time. Also
 * loopback_port_closed(): a port where nothing listens, so that a delivery
 * fails at once. Header-only.
 */
#ifndef PTL_TEST_CATCHER_H
#define PTL_TEST_CATCHER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct catcher {
	pid_t pid;
	unsigned port;
	int ctl; /* to the child: one byte releases a held connection */
	int evt; /* from the child: 'a' and 'm' events */
	unsigned accepted, messages; /* events read so far */
};

/* A loopback TCP socket bound to a free port; listening when listen_too.
 * -1 on failure. */
static __attribute__((unused)) int
loopback_socket(int listen_too, unsigned *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0 ||
	    (listen_too && listen(fd, 4) != 0)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A loopback port that was free a moment ago and has no listener. */
static __attribute__((unused)) unsigned
loopback_port_closed(void)
{
	unsigned port = 0;
	int fd = loopback_socket(0, &port);

	if (fd >= 0)
		close(fd);
	return port;
}

static __attribute__((unused)) void
catcher_say(int fd, const char *s)
{
	(void)send(fd, s, strlen(s), MSG_NOSIGNAL);
}

/* write(2) of one byte; a lost event shows as a failed count. */
static __attribute__((unused)) void
catcher_put(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		return;
}

/* One SMTP session on fd, line by line, until QUIT, EOF or 5 s of
 * silence. */
static __attribute__((unused)) void
catcher_session(int fd, int evt)
{
	char buf[8192];
	size_t len = 0;
	bool data = false;

	catcher_say(fd, "220 catcher ESMTP\r\n");
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		char *eol;
		ssize_t n;

		while ((eol = memchr(buf, '\n', len)) != NULL) {
			size_t line = (size_t)(eol - buf) + 1;

			if (data && line <= 3 && buf[0] == '.') {
				data = false;
				catcher_say(fd, "250 2.0.0 queued\r\n");
				catcher_put(evt, 'm');
			} else if (data) {
				/* message text */
			} else if (strncasecmp(buf, "EHLO", 4) == 0 ||
				   strncasecmp(buf, "HELO", 4) == 0) {
				catcher_say(fd, "250 catcher\r\n");
			} else if (strncasecmp(buf, "DATA", 4) == 0) {
				data = true;
				catcher_say(fd, "354 go ahead\r\n");
			} else if (strncasecmp(buf, "QUIT", 4) == 0) {
				catcher_say(fd, "221 bye\r\n");
				return;
			} else if (strncasecmp(buf, "MAIL", 4) == 0 ||
				   strncasecmp(buf, "RCPT", 4) == 0 ||
				   strncasecmp(buf, "RSET", 4) == 0 ||
				   strncasecmp(buf, "NOOP", 4) == 0) {
				catcher_say(fd, "250 ok\r\n");
			} else {
				catcher_say(fd, "502 not here\r\n");
			}
			memmove(buf, buf + line, len - line);
			len -= line;
		}
		if (len == sizeof(buf))
			len = 0; /* an overlong line: forget it */
		if (poll(&p, 1, 5000) <= 0)
			return;
		n = recv(fd, buf + len, sizeof(buf) - len, 0);
		if (n <= 0)
			return;
		len += (size_t)n;
	}
}

/* The child: accept, (wait for the release,) serve, until the parent
 * closes ctl. */
static __attribute__((unused, noreturn)) void
catcher_child(int lfd, int ctl, int evt, bool hold)
{
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct pollfd p[2] = {{lfd, POLLIN, 0}, {ctl, POLLIN, 0}};
		char ch;
		int fd;

		if (poll(p, 2, -1) < 0)
			_exit(1);
		if (p[1].revents != 0 && read(ctl, &ch, 1) <= 0)
			_exit(0);
		if ((p[0].revents & POLLIN) == 0)
			continue;
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		catcher_put(evt, 'a');
		if (hold && read(ctl, &ch, 1) <= 0)
			_exit(0);
		catcher_session(fd, evt);
		close(fd);
	}
}

/* Starts a catcher; false on failure. */
static __attribute__((unused)) bool
catcher_start(struct catcher *c, bool hold)
{
	int ctl[2], evt[2];
	int lfd = loopback_socket(1, &c->port);

	c->accepted = c->messages = 0;
	if (lfd < 0 || pipe(ctl) != 0)
		return false;
	if (pipe(evt) != 0)
		return false;
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0)
		return false;
	if (c->pid == 0) {
		int fd;

		/* Only its own three: a write end of another catcher's pipe
		 * kept here would hide that catcher's stop. */
		for (fd = 3; fd < 1024; fd++) {
			if (fd != lfd && fd != ctl[0] && fd != evt[1])
				close(fd);
		}
		catcher_child(lfd, ctl[0], evt[1], hold);
	}
	close(lfd);
	close(ctl[0]);
	close(evt[1]);
	c->ctl = ctl[1];
	c->evt = evt[0];
	return true;
}

/* Reads the events that arrive within wait_ms (0: only those already
 * there) into c->accepted and c->messages. */
static __attribute__((unused)) void
catcher_poll(struct catcher *c, int wait_ms)
{
	struct pollfd p = {c->evt, POLLIN, 0};
	char ev;

	while (poll(&p, 1, wait_ms) > 0 && read(c->evt, &ev, 1) == 1) {
		if (ev == 'a')
			c->accepted++;
		else if (ev == 'm')
			c->messages++;
		wait_ms = 0;
	}
}

/* Waits up to wait_ms for c->accepted to reach n; true if it did. */
static __attribute__((unused)) bool
catcher_wait_accepted(struct catcher *c, unsigned n, int wait_ms)
{
	struct pollfd p = {c->evt, POLLIN, 0};
	char ev;

	while (c->accepted < n && poll(&p, 1, wait_ms) > 0 &&
	       read(c->evt, &ev, 1) == 1) {
		if (ev == 'a')
			c->accepted++;
		else if (ev == 'm')
			c->messages++;
	}
	return c->accepted >= n;
}

/* Lets a held connection go on. */
static __attribute__((unused)) void
catcher_release(struct catcher *c)
{
	catcher_put(c->ctl, 'r');
}

/* Stops the child and reaps it. */
static __attribute__((unused)) void
catcher_stop(struct catcher *c)
{
	close(c->ctl);
	close(c->evt);
	(void)waitpid(c->pid, NULL, 0);
}

#endif
