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
	char out[1024];
	va_list ap;
	int n, m;
	size_t len;

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
	m = vsnprintf(out + n, sizeof(out) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	len = (size_t)n + (size_t)m;
	if (len > sizeof(out) - 2)
		len = sizeof(out) - 2;
	/* One event, one line: fold any newline in the message. */
	for (size_t i = (size_t)n; i < len; i++) {
		if (out[i] == '\n' || out[i] == '\r')
			out[i] = ' ';
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
