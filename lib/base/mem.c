/* SPDX-License-Identifier: ISC */
/*
 * mem: a chunked bump allocator with deferred destructors. A reset wipes
 * every byte that was handed out (explicit_bzero, which the compiler may not
 * drop) before the memory is freed or reused: a request's passwords, bearer
 * and refresh tokens and reset hashes live here and must not stay behind in
 * freed memory. With --enable-arena-malloc (PTL_ARENA_MALLOC) every
 * allocation is its own malloc, so ASan and valgrind see use after reset.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/log.h"

#define CHUNK_SIZE (16 * 1024)
#define ALIGN 16

struct chunk {
	struct chunk *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct defer {
	struct defer *next;
	void (*fn)(void *);
	void *p;
};

struct ptl_arena {
	struct chunk *head;  /* current chunk, newest first */
	struct chunk *first; /* kept across resets */
	struct defer *defers;
};

void
ptl_mem_oom(void)
{
	static const char msg[] = "authportal: out of memory\n";

	(void)!fwrite(msg, 1, sizeof(msg) - 1, stderr);
	abort();
}

void *
ptl_mem_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		ptl_mem_oom();
	return p;
}

static struct chunk *
chunk_new(size_t want)
{
	size_t size = want > CHUNK_SIZE ? want : CHUNK_SIZE;
	struct chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		ptl_mem_oom();
	c = ptl_mem_xmalloc(sizeof(*c) + size);
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

struct ptl_arena *
ptl_mem_new(void)
{
	struct ptl_arena *a = ptl_mem_xmalloc(sizeof(*a));

	a->first = chunk_new(CHUNK_SIZE);
	a->head = a->first;
	a->defers = NULL;
	return a;
}

void
ptl_mem_reset(struct ptl_arena *a)
{
	struct chunk *c, *next;

	/* Destructors first: they may read arena memory. */
	while (a->defers != NULL) {
		struct defer *d = a->defers;

		a->defers = d->next;
		d->fn(d->p);
	}
	for (c = a->head; c != NULL && c != a->first; c = next) {
		next = c->next;
		explicit_bzero(c->data, c->used);
		free(c);
	}
	explicit_bzero(a->first->data, a->first->used);
	a->first->used = 0;
	a->first->next = NULL;
	a->head = a->first;
}

size_t
ptl_mem_used(const struct ptl_arena *a)
{
	const struct chunk *c;
	size_t n = 0;

	for (c = a->head; c != NULL; c = c->next)
		n += c->used;
	return n;
}

void
ptl_mem_free(struct ptl_arena *a)
{
	if (a == NULL)
		return;
	ptl_mem_reset(a);
	free(a->first);
	free(a);
}

void *
ptl_mem_alloc(struct ptl_arena *a, size_t size)
{
	struct chunk *c;
	size_t need;
	void *p;

#ifdef PTL_ARENA_MALLOC
	/* Each allocation is a chunk of its own, freed at reset. */
	c = chunk_new(size);
	c->size = size;
	c->used = size;
	c->next = a->head;
	a->head = c;
	return c->data;
#endif
	if (size > SIZE_MAX - ALIGN)
		ptl_mem_oom();
	need = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	c = a->head;
	if (c->size - c->used < need) {
		c = chunk_new(need);
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	return p;
}

void *
ptl_mem_zalloc(struct ptl_arena *a, size_t size)
{
	void *p = ptl_mem_alloc(a, size);

	memset(p, 0, size);
	return p;
}

char *
ptl_mem_strndup(struct ptl_arena *a, const char *s, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		ptl_mem_oom();
	p = ptl_mem_alloc(a, len + 1);
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
ptl_mem_strdup(struct ptl_arena *a, const char *s)
{
	return ptl_mem_strndup(a, s, strlen(s));
}

char *
ptl_mem_printf(struct ptl_arena *a, const char *fmt, ...)
{
	va_list ap, ap2;
	int n;
	char *p;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		ptl_mem_oom();
	p = ptl_mem_alloc(a, (size_t)n + 1);
	(void)vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

void
ptl_mem_defer(struct ptl_arena *a, void (*fn)(void *), void *p)
{
	struct defer *d;

	if (p == NULL)
		return;
	d = ptl_mem_alloc(a, sizeof(*d));
	d->fn = fn;
	d->p = p;
	d->next = a->defers;
	a->defers = d;
}

enum ptl_err
ptl_mem_read_file(struct ptl_arena *a, const char *what, const char *path,
		  size_t max, char **out, size_t *len)
{
	char *data = ptl_mem_alloc(a, max + 1);
	FILE *f = fopen(path, "re");
	size_t n;
	int failed;

	if (f == NULL) {
		PTL_LOG_ERR("%s: %s: %s", what, path, strerror(errno));
		return PTL_ERR_INTERNAL;
	}
	n = fread(data, 1, max + 1, f);
	failed = ferror(f);
	(void)fclose(f);
	if (failed != 0 || n > max) {
		if (failed != 0)
			PTL_LOG_ERR("%s: %s: read error", what, path);
		else
			PTL_LOG_ERR("%s: %s: larger than %zu bytes", what, path,
				    max);
		return PTL_ERR_INTERNAL;
	}
	data[n] = '\0';
	*out = data;
	*len = n;
	return PTL_OK;
}
