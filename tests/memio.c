/* SPDX-License-Identifier: ISC */
/* memio: see memio.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "memio.h"

const char *
memio_var(const struct memio *m, const char *name)
{
	size_t i;

	for (i = 0; m->vars != NULL && m->vars[i] != NULL; i += 2) {
		if (strcmp(m->vars[i], name) == 0)
			return m->vars[i + 1];
	}
	return NULL;
}

static const char *
param(void *ctx, const char *name)
{
	return memio_var(ctx, name);
}

static size_t
read_body(void *ctx, char *buf, size_t len)
{
	struct memio *m = ctx;
	size_t n = m->body_len - m->pos;

	m->reads++;
	if (n > len)
		n = len;
	if (m->read_max > 0 && n > m->read_max)
		n = m->read_max;
	memcpy(buf, m->body + m->pos, n);
	m->pos += n;
	return n;
}

static void
write_out(void *ctx, const char *buf, size_t len)
{
	struct memio *m = ctx;
	size_t room = m->out_cap - m->out_len;

	m->writes++;
	m->out_total += len;
	if (len > room)
		len = room;
	memcpy(m->out + m->out_len, buf, len);
	m->out_len += len;
	m->out[m->out_len] = '\0';
}

void
memio_init(struct memio *m, size_t out_cap)
{
	memset(m, 0, sizeof(*m));
	m->out = ptl_mem_xmalloc(out_cap + 1);
	m->out_cap = out_cap;
	m->out[0] = '\0';
}

void
memio_free(struct memio *m)
{
	free(m->out);
	m->out = NULL;
}

void
memio_start(struct memio *m, struct ptl_transport *t, const char *const *vars,
	    const char *body, size_t body_len)
{
	m->vars = vars;
	m->body = body != NULL ? body : "";
	m->body_len = body_len;
	m->pos = 0;
	m->reads = 0;
	m->out_len = 0;
	m->out_total = 0;
	m->writes = 0;
	m->out[0] = '\0';
	t->param = param;
	t->read = read_body;
	t->write = write_out;
	t->ctx = m;
}
