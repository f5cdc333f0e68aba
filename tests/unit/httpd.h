/* SPDX-License-Identifier: ISC */
/*
 * httpd.h: a tiny HTTP/1.1 server on 127.0.0.1 for the unit tests that
 * call out (test_http, test_social), in a forked child so that libcurl
 * talks to a real socket. Each connection is served by a child of its own
 * (keep-alive: several requests per connection), which appends one byte
 * to DIR/connections when it starts, and the path of each request to
 * DIR/requests (httpd_requests() counts them). Paths:
 *   /echo      200, the request's head and body as the body
 *   /big       200, a body of 300 KiB (past PTL_HTTP_BODY_MAX)
 *   /slow      sleeps 5 s, then 200
 *   /redirect  302 to /echo
 *   /fail      503
 *   /gh/...    406 unless the request has GitHub's Accept
 *              (application/vnd.github+json), a Bearer Authorization
 *              and a User-Agent; else as any other path
 *   anything   200 with the file DIR/<path>, its query dropped, the
 *              leading '/' dropped and each later '/' read as '_'
 *              ("/gh/user" is DIR/gh_user), when it exists; 404
 *              otherwise (so a test changes an answer by rewriting the
 *              file). The method does not matter.
 * Header-only.
 */
#ifndef PTL_TEST_HTTPD_H
#define PTL_TEST_HTTPD_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct httpd {
	pid_t pid;
	unsigned port;
	char dir[256];
};

static __attribute__((unused)) void
httpd_send(int fd, int status, const char *extra, const char *body, size_t len)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
			 "Content-Type: application/json\r\n%s\r\n",
			 status, len, extra);

	(void)send(fd, head, (size_t)n, MSG_NOSIGNAL);
	if (len > 0)
		(void)send(fd, body, len, MSG_NOSIGNAL);
}

/* Serves a file of dir, or 404. */
static __attribute__((unused)) void
httpd_file(int fd, const char *dir, const char *path)
{
	char name[512], body[65536];
	size_t len = strcspn(path, "?"), i, at;
	FILE *f = NULL;
	size_t n;

	at = (size_t)snprintf(name, sizeof(name), "%s/", dir);
	for (i = 1; i < len && at + 1 < sizeof(name); i++)
		name[at++] = path[i] == '/' ? '_' : path[i];
	name[at] = '\0';
	if (len >= 2 && strstr(path, "..") == NULL)
		f = fopen(name, "r");
	if (f == NULL) {
		httpd_send(fd, 404, "", "{}", 2);
		return;
	}
	n = fread(body, 1, sizeof(body), f);
	fclose(f);
	httpd_send(fd, 200, "", body, n);
}

/* One request from fd into buf; false at EOF. */
static __attribute__((unused)) bool
httpd_read(int fd, char *buf, size_t size, size_t *len)
{
	size_t have = 0, need = 0;
	char *end = NULL;

	while (end == NULL || have < need) {
		ssize_t n;

		if (have + 1 >= size)
			return false;
		n = recv(fd, buf + have, size - 1 - have, 0);
		if (n <= 0)
			return false;
		have += (size_t)n;
		buf[have] = '\0';
		if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");

			need =
			    (size_t)(end + 4 - buf) +
			    (cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10)
						    : 0);
		}
	}
	*len = have;
	return true;
}

/* Appends the path of a request (query dropped) to DIR/requests. */
static __attribute__((unused)) void
httpd_log(const char *dir, const char *path)
{
	char name[300], line[300];
	int n, fd;

	(void)snprintf(name, sizeof(name), "%s/requests", dir);
	n = snprintf(line, sizeof(line), "%.*s\n", (int)strcspn(path, "?"),
		     path);
	fd = open(name, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) != n)
			fputs("httpd: cannot log a request\n", stderr);
		close(fd);
	}
}

/* How many requests for path the server received so far. */
static __attribute__((unused)) int
httpd_requests(const struct httpd *h, const char *path)
{
	char name[300], line[300];
	int count = 0;
	FILE *f;

	(void)snprintf(name, sizeof(name), "%s/requests", h->dir);
	f = fopen(name, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, path) == 0)
			count++;
	}
	fclose(f);
	return count;
}

static __attribute__((unused)) void
httpd_conn(int fd, const char *dir)
{
	static char buf[1 << 17];
	char path[256], name[300];
	size_t len;
	int cf;

	(void)snprintf(name, sizeof(name), "%s/connections", dir);
	cf = open(name, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (cf >= 0) {
		if (write(cf, "c", 1) != 1)
			fputs("httpd: cannot count a connection\n", stderr);
		close(cf);
	}
	while (httpd_read(fd, buf, sizeof(buf), &len)) {
		if (sscanf(buf, "%*s %255s", path) != 1)
			return;
		httpd_log(dir, path);
		if (strcmp(path, "/echo") == 0) {
			httpd_send(fd, 200, "", buf, len);
		} else if (strcmp(path, "/big") == 0) {
			static char big[300 * 1024];

			memset(big, 'x', sizeof(big));
			httpd_send(fd, 200, "", big, sizeof(big));
		} else if (strcmp(path, "/slow") == 0) {
			sleep(5);
			httpd_send(fd, 200, "", "{}", 2);
		} else if (strcmp(path, "/redirect") == 0) {
			httpd_send(fd, 302, "Location: /echo\r\n", "moved", 5);
		} else if (strcmp(path, "/fail") == 0) {
			httpd_send(fd, 503, "", "{}", 2);
		} else if (strncmp(path, "/gh/", 4) == 0 &&
			   (strcasestr(buf, "\r\nAccept: application/"
					    "vnd.github+json\r\n") == NULL ||
			    strcasestr(buf, "\r\nAuthorization: Bearer ") ==
				NULL ||
			    strcasestr(buf, "\r\nUser-Agent: ") == NULL)) {
			httpd_send(fd, 406, "", "{}", 2);
		} else {
			httpd_file(fd, dir, path);
		}
	}
}

/* Starts the server with its folder dir (which must exist). false on
 * failure. */
static __attribute__((unused)) bool
httpd_start(struct httpd *h, const char *dir)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0 ||
	    listen(fd, 16) != 0)
		return false;
	h->port = ntohs(sa.sin_port);
	(void)snprintf(h->dir, sizeof(h->dir), "%s", dir);
	fflush(stdout);
	h->pid = fork();
	if (h->pid < 0)
		return false;
	if (h->pid == 0) {
		(void)setpgid(0, 0);
		signal(SIGCHLD, SIG_IGN);
		for (;;) {
			int c = accept(fd, NULL, NULL);

			if (c < 0)
				continue;
			if (fork() == 0) {
				close(fd);
				httpd_conn(c, dir);
				_exit(0);
			}
			close(c);
		}
	}
	close(fd);
	(void)setpgid(h->pid, h->pid);
	return true;
}

/* How many connections the server accepted so far. */
static __attribute__((unused)) long
httpd_connections(const struct httpd *h)
{
	char name[300];
	struct stat st;

	(void)snprintf(name, sizeof(name), "%s/connections", h->dir);
	return stat(name, &st) == 0 ? (long)st.st_size : 0;
}

/* Writes DIR/name with content (the answer of GET /name). */
static __attribute__((unused)) bool
httpd_put(const struct httpd *h, const char *name, const char *content)
{
	char path[300];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", h->dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return false;
	fputs(content, f);
	return fclose(f) == 0;
}

static __attribute__((unused)) void
httpd_stop(struct httpd *h)
{
	if (h->pid > 0) {
		kill(-h->pid, SIGKILL);
		(void)waitpid(h->pid, NULL, 0);
	}
	h->pid = 0;
}

#endif
