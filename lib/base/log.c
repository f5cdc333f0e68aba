/* SPDX-License-Identifier: ISC */
/*
 * log: see log.h. A line is formatted into one buffer and written with one
 * write(2), so that lines of concurrent workers do not interleave.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

static const char *current_request = "-";
static enum ptl_log_level max_level = PTL_LOG_INFO;

void
ptl_log_set_request(const char *id)
{
	current_request = id != NULL ? id : "-";
}

void
ptl_log_set_level(enum ptl_log_level level)
{
	max_level = level;
}

void
ptl_log_at(enum ptl_log_level level, const char *file, int line,
	   const char *fmt, ...)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	static const char hex[] = "0123456789abcdef";
	char out[1024], msg[1024];
	va_list ap;
	int n, m;
	size_t len, i;

	if (level > max_level)
		return;
	if (line > 0)
		n = snprintf(out, sizeof(out), "authportal[%ld] %s req=%s %s:%d: ",
			     (long)getpid(), names[level], current_request, file,
			     line);
	else
		n = snprintf(out, sizeof(out), "authportal[%ld] %s req=%s %s: ",
			     (long)getpid(), names[level], current_request, file);
	if (n < 0 || (size_t)n >= sizeof(out))
		return;
	va_start(ap, fmt);
	m = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	/* One event, one line, and nothing a request sent can forge another
	 * line or a terminal escape: every control byte, DEL and '\' of the
	 * message is written as \xNN (kcgi logmsg). This covers every value
	 * from a request (paths, addresses, user agents) at one place. */
	len = (size_t)n;
	for (i = 0; msg[i] != '\0' && len < sizeof(out) - 6; i++) {
		unsigned char c = (unsigned char)msg[i];

		if (c < 0x20 || c == 0x7f || c == '\\') {
			out[len++] = '\\';
			out[len++] = 'x';
			out[len++] = hex[c >> 4];
			out[len++] = hex[c & 0xf];
		} else {
			out[len++] = (char)c;
		}
	}
	out[len++] = '\n';
	(void)!write(STDERR_FILENO, out, len);
}

void
ptl_log_abort(const char *file, int line, const char *what)
{
	ptl_log_at(PTL_LOG_ERROR, file, line, "assertion failed: %s", what);
	abort();
}
