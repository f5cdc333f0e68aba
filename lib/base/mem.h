/* SPDX-License-Identifier: ISC */
/*
 * mem: the per-request arena. Everything derived from one request is
 * allocated here and released by one ptl_mem_reset(); third-party objects
 * are registered with ptl_mem_defer() so that the reset frees them too.
 * Allocation failure aborts the process (HACKING.md, "Style"): callers
 * bound every size before they allocate. Not thread-safe; one per process.
 */
#ifndef PTL_MEM_H
#define PTL_MEM_H

#include <stdarg.h>
#include <stddef.h>

#include "base/err.h"

struct ptl_arena;

/* A new empty arena. Never NULL (aborts on OOM). Free with ptl_mem_free(). */
struct ptl_arena *ptl_mem_new(void);

/* Releases everything allocated since creation or the last reset, running the
 * deferred destructors in reverse order, then overwrites every byte that was
 * allocated with zeros before it is freed or reused (secrets leave no trace
 * in freed memory). Keeps the first chunk for reuse. */
void ptl_mem_reset(struct ptl_arena *a);

/* Bytes handed out since creation or the last reset (alignment included). */
size_t ptl_mem_used(const struct ptl_arena *a) __attribute__((nonnull));

/* Resets and frees the arena itself. NULL is a no-op. */
void ptl_mem_free(struct ptl_arena *a);

/* size bytes, aligned for any type, uninitialised. Arena-owned. */
void *ptl_mem_alloc(struct ptl_arena *a, size_t size)
	__attribute__((malloc, returns_nonnull));

/* size zeroed bytes. Arena-owned. */
void *ptl_mem_zalloc(struct ptl_arena *a, size_t size)
	__attribute__((malloc, returns_nonnull));

/* A NUL-terminated copy of s[0..len). Arena-owned. */
char *ptl_mem_strndup(struct ptl_arena *a, const char *s, size_t len)
	__attribute__((returns_nonnull));

/* A NUL-terminated copy of s. Arena-owned. */
char *ptl_mem_strdup(struct ptl_arena *a, const char *s)
	__attribute__((returns_nonnull));

/* printf into the arena. Arena-owned. */
char *ptl_mem_printf(struct ptl_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), returns_nonnull));

/* Calls fn(p) at the next reset (or free). p NULL is a no-op. */
void ptl_mem_defer(struct ptl_arena *a, void (*fn)(void *), void *p);

/* Logs "out of memory" and aborts. For every allocation outside the arena. */
void ptl_mem_oom(void) __attribute__((noreturn));

/* Reads the file at path, at most max bytes, into a (NUL-terminated; its
 * length in OUT len). A missing or unreadable file, a read error or a file
 * over max is logged once as "<what>: <path>: <why>" and answered
 * PTL_ERR_INTERNAL: these are the program's own files (templates, message
 * files, the API document). */
enum ptl_err ptl_mem_read_file(struct ptl_arena *a, const char *what,
			       const char *path, size_t max, char **out,
			       size_t *len) __attribute__((nonnull));

/* malloc that aborts on failure; for process-lifetime objects. */
void *ptl_mem_xmalloc(size_t size) __attribute__((malloc, returns_nonnull));

#endif
