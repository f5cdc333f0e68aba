/* SPDX-License-Identifier: ISC */
/*
 * log: one line per event on stderr, which is the web server's error log.
 * Each line carries the process id, the current request id, the level, the
 * source position and the message. Messages never hold secrets. Every
 * control byte (C0 and C1), DEL, backslash and byte of invalid UTF-8 of a
 * message is written as \xNN (ptl_log_escape), so a value that came from
 * a request (a path, an address, a user agent) can neither forge a line
 * nor reach a terminal as an escape; the caller bounds long values with a
 * precision ("%.200s"). A line is at most 1 KiB.
 */
#ifndef PTL_LOG_H
#define PTL_LOG_H

#include <stddef.h>

enum ptl_log_level { PTL_LOG_ERROR, PTL_LOG_WARN, PTL_LOG_INFO, PTL_LOG_DEBUG };

/* Sets the request id that later lines carry ("-" outside a request).
 * The string is borrowed until the next call. */
void ptl_log_set_request(const char *id);

/* Lines above this level are dropped (default PTL_LOG_INFO). */
void ptl_log_set_level(enum ptl_log_level level);

/*
 * The escaping of every log line, for any other text that shows stored or
 * request values to a reader (the admin command line's output): copies
 * in[0..in_len) to out with each byte of a C0 control, DEL, '\\', a C1
 * control (U+0080-U+009F, which terminals take as escapes) or invalid
 * UTF-8 written as \xNN, and everything else as it is. Stops before a
 * character that would not fit; out is always NUL-terminated. A buffer of
 * 4 * in_len + 1 bytes always suffices. in is borrowed; out_size >= 1.
 * Returns the bytes written, without the NUL.
 */
size_t ptl_log_escape(char *out, size_t out_size, const char *in,
		      size_t in_len) __attribute__((nonnull));

void ptl_log_at(enum ptl_log_level level, const char *file, int line,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define PTL_LOG_ERR(...) ptl_log_at(PTL_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define PTL_LOG_WARN(...) ptl_log_at(PTL_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define PTL_LOG_INFO(...) ptl_log_at(PTL_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)

/* A security event (login failure, token reuse, revocation): INFO level,
 * tagged "security" so that it can be grepped. */
#define PTL_LOG_SEC(...) ptl_log_at(PTL_LOG_INFO, "security", 0, __VA_ARGS__)

/* Aborts with a log line when cond is false, also under NDEBUG. */
#define PTL_ASSERT(cond)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			ptl_log_abort(__FILE__, __LINE__, #cond);              \
	} while (0)

void ptl_log_abort(const char *file, int line, const char *what)
	__attribute__((noreturn));

#endif
