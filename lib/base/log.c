/* SPDX-License-Identifier: ISC */
/*
 * log: see log.h. A line is formatted into one buffer and written with one
 * write(2), so that lines of concurrent workers do not interleave.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/utf8.h"

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

/* Bytes of the character at p[0..n) to copy as they are, or 0 when its
 * first byte is to be escaped. */
static size_t
plain_len(const unsigned char *p, size_t n)
{
	uint32_t c;
	size_t k = ptl_utf8_decode(p, n, &c);

	if (k == 0 || c < 0x20 || c == 0x7f || c == '\\' ||
	    (c >= 0x80 && c <= 0x9f))
		return 0;
	return k;
}

size_t
ptl_log_escape(char *out, size_t out_size, const char *in, size_t in_len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, len = 0;

	while (i < in_len) {
		size_t k = plain_len(p + i, in_len - i);

		if (k == 0) {
			if (len + 4 >= out_size)
				break;
			out[len++] = '\\';
			out[len++] = 'x';
			out[len++] = hex[p[i] >> 4];
			out[len++] = hex[p[i] & 0xf];
			i++;
			continue;
		}
		if (len + k >= out_size)
			break;
		memcpy(out + len, p + i, k);
		len += k;
		i += k;
	}
	out[len] = '\0';
	return len;
}

void
ptl_log_at(enum ptl_log_level level, const char *file, int line,
	   const char *fmt, ...)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	char out[1024], msg[1024];
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
	if (n < 0 || (size_t)n >= sizeof(out) - 1)
		return;
	va_start(ap, fmt);
	m = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	/* One event, one line, and nothing a request sent can forge another
	 * line or a terminal escape (kcgi logmsg). This covers every value
	 * from a request (paths, addresses, user agents) at one place. */
	len = (size_t)n;
	len +=
	    ptl_log_escape(out + len, sizeof(out) - len - 1, msg, strlen(msg));
	out[len++] = '\n';
	(void)!write(STDERR_FILENO, out, len);
}

void
ptl_log_abort(const char *file, int line, const char *what)
{
	ptl_log_at(PTL_LOG_ERROR, file, line, "assertion failed: %s", what);
	abort();
}
