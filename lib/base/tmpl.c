/* SPDX-License-Identifier: ISC */
/*
 * tmpl: see tmpl.h. One recursive pass over the source: text is copied,
 * a tag is read whole before it is acted on, and a section's body is the
 * source up to its matching close, found by counting the sections opened
 * inside it. Nothing is parsed ahead into a tree: templates are small and
 * rendered once per request.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <string.h>

#include "base/log.h"
#include "base/tmpl.h"

enum kind { V_TEXT, V_BOOL, V_HTML, V_LIST };

struct item {
	struct ptl_tmpl_scope *scope;
	struct item *next;
};

struct value {
	const char *name;
	enum kind kind;
	const char *text;
	size_t len;
	bool flag;
	struct item *first, *last;
	struct value *next;
};

struct ptl_tmpl_scope {
	struct ptl_arena *arena;
	struct ptl_tmpl_scope *parent;
	struct value *values;
	const struct ptl_tmpl_texts *texts;
};

struct ptl_tmpl_scope *
ptl_tmpl_scope_new(struct ptl_arena *a, struct ptl_tmpl_scope *parent)
{
	struct ptl_tmpl_scope *s = ptl_mem_zalloc(a, sizeof(*s));

	s->arena = a;
	s->parent = parent;
	return s;
}

static struct value *
own(struct ptl_tmpl_scope *s, const char *name)
{
	struct value *v;

	for (v = s->values; v != NULL; v = v->next) {
		if (strcmp(v->name, name) == 0)
			return v;
	}
	v = ptl_mem_zalloc(s->arena, sizeof(*v));
	v->name = ptl_mem_strdup(s->arena, name);
	v->next = s->values;
	s->values = v;
	return v;
}

void
ptl_tmpl_set(struct ptl_tmpl_scope *s, const char *name, const char *value)
{
	struct value *v = own(s, name);

	v->kind = V_TEXT;
	v->text = value;
	v->len = value != NULL ? strlen(value) : 0;
}

void
ptl_tmpl_set_bool(struct ptl_tmpl_scope *s, const char *name, bool b)
{
	struct value *v = own(s, name);

	v->kind = V_BOOL;
	v->flag = b;
}

void
ptl_tmpl_set_html(struct ptl_tmpl_scope *s, const char *name,
		  const struct ptl_tmpl_html *h)
{
	struct value *v = own(s, name);

	v->kind = V_HTML;
	v->text = h->s;
	v->len = h->len;
}

struct ptl_tmpl_scope *
ptl_tmpl_add_item(struct ptl_tmpl_scope *s, const char *name)
{
	struct value *v = own(s, name);
	struct item *it = ptl_mem_zalloc(s->arena, sizeof(*it));

	if (v->kind != V_LIST) {
		v->kind = V_LIST;
		v->first = v->last = NULL;
	}
	it->scope = ptl_tmpl_scope_new(s->arena, s);
	if (v->last != NULL)
		v->last->next = it;
	else
		v->first = it;
	v->last = it;
	return it->scope;
}

void
ptl_tmpl_set_texts(struct ptl_tmpl_scope *s, const struct ptl_tmpl_texts *t)
{
	s->texts = t;
}

void
ptl_tmpl_escape(struct ptl_buf *out, const char *s, size_t len)
{
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		const char *rep = NULL;

		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		case '`':
			rep = "&#96;";
			break;
		default:
			break;
		}
		if (rep == NULL)
			continue;
		ptl_buf_add(out, s + run, i - run);
		ptl_buf_adds(out, rep);
		run = i + 1;
	}
	ptl_buf_add(out, s + run, len - run);
}

/* --- rendering ------------------------------------------------------------ */

struct ctx {
	const char *tname; /* the template's name, for the log */
	const struct ptl_tmpl_loader *ld;
	struct ptl_buf *out;
};

/* A tag: its sigil ('\0' for a value) and name. */
struct tag {
	char sigil;
	char name[PTL_TMPL_NAME_MAX + 1];
	const char *after; /* the first byte after "}}" */
};

static bool
name_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

/* Reads the tag at p ("{{" seen) up to end. false: malformed. */
static bool
read_tag(const char *p, const char *end, struct tag *t)
{
	const char *close, *n;
	size_t len;

	p += 2;
	close = NULL;
	for (n = p; n + 1 < end; n++) {
		if (n[0] == '}' && n[1] == '}') {
			close = n;
			break;
		}
	}
	if (close == NULL)
		return false;
	t->after = close + 2;
	t->sigil = strchr("#^/>!", *p) != NULL && p < close ? *p : '\0';
	if (t->sigil == '!')
		return true;
	if (t->sigil != '\0')
		p++;
	while (p < close && *p == ' ')
		p++;
	while (close > p && close[-1] == ' ')
		close--;
	len = (size_t)(close - p);
	if (len == 0 || len > PTL_TMPL_NAME_MAX)
		return false;
	for (n = p; n < close; n++) {
		if (!name_char(*n))
			return false;
	}
	memcpy(t->name, p, len);
	t->name[len] = '\0';
	return true;
}

/* The matching close of the section named name whose body starts at p:
 * OUT body_end (its "{{") and after (past its "}}"). */
static bool
find_close(const char *p, const char *end, const char *name,
	   const char **body_end, const char **after)
{
	int depth = 0;
	struct tag t;

	while (p < end) {
		const char *open = memmem(p, (size_t)(end - p), "{{", 2);

		if (open == NULL || !read_tag(open, end, &t))
			return false;
		if (t.sigil == '#' || t.sigil == '^') {
			depth++;
		} else if (t.sigil == '/') {
			if (depth == 0) {
				*body_end = open;
				*after = t.after;
				return strcmp(t.name, name) == 0;
			}
			depth--;
		}
		p = t.after;
	}
	return false;
}

static const struct value *
lookup(const struct ptl_tmpl_scope *s, const char *name,
       const struct ptl_tmpl_texts **texts)
{
	const struct value *v;

	*texts = NULL;
	for (; s != NULL; s = s->parent) {
		for (v = s->values; v != NULL; v = v->next) {
			if (strcmp(v->name, name) == 0)
				return v;
		}
		if (*texts == NULL && s->texts != NULL)
			*texts = s->texts;
	}
	return NULL;
}

/* The text of a name no scope sets, from the texts lookup, or NULL. */
static const char *
text_of(const struct ptl_tmpl_texts *tx, const char *name)
{
	size_t n;

	if (tx == NULL)
		return NULL;
	n = strlen(tx->prefix);
	if (strncmp(name, tx->prefix, n) != 0)
		return NULL;
	return tx->fn(tx->ctx, name + n);
}

static bool
truthy(const struct value *v, const char *text)
{
	if (v == NULL)
		return text != NULL && *text != '\0';
	switch (v->kind) {
	case V_BOOL:
		return v->flag;
	case V_LIST:
		return v->first != NULL;
	default:
		return v->text != NULL && v->len > 0;
	}
}

static enum ptl_err range(struct ctx *c, const char *p, const char *end,
			  struct ptl_tmpl_scope *s, int depth);

static enum ptl_err
fail(struct ctx *c, const char *what)
{
	PTL_LOG_ERR("template %s: %s", c->tname, what);
	return PTL_ERR_INTERNAL;
}

static void
emit_value(struct ctx *c, struct ptl_tmpl_scope *s, const char *name)
{
	const struct ptl_tmpl_texts *tx;
	const struct value *v = lookup(s, name, &tx);
	const char *text;

	if (v == NULL) {
		text = text_of(tx, name);
		if (text != NULL)
			ptl_tmpl_escape(c->out, text, strlen(text));
		return;
	}
	if (v->kind == V_HTML)
		ptl_buf_add(c->out, v->text, v->len);
	else if (v->kind == V_TEXT && v->text != NULL)
		ptl_tmpl_escape(c->out, v->text, v->len);
}

static enum ptl_err
section(struct ctx *c, const struct tag *t, const char *body,
	const char *body_end, struct ptl_tmpl_scope *s, int depth)
{
	const struct ptl_tmpl_texts *tx;
	const struct value *v = lookup(s, t->name, &tx);
	bool on = truthy(v, v == NULL ? text_of(tx, t->name) : NULL);
	const struct item *it;
	enum ptl_err e = PTL_OK;

	if (t->sigil == '^')
		return on ? PTL_OK : range(c, body, body_end, s, depth + 1);
	if (!on)
		return PTL_OK;
	if (v == NULL || v->kind != V_LIST)
		return range(c, body, body_end, s, depth + 1);
	for (it = v->first; it != NULL && e == PTL_OK; it = it->next)
		e = range(c, body, body_end, it->scope, depth + 1);
	return e;
}

static enum ptl_err
include(struct ctx *c, const char *name, struct ptl_tmpl_scope *s, int depth)
{
	struct ctx sub = *c;
	const char *src;
	size_t len = 0;

	src = c->ld != NULL ? c->ld->find(c->ld->ctx, name, &len) : NULL;
	if (src == NULL)
		return fail(c, "an included template is missing");
	if (len > PTL_TMPL_SRC_MAX)
		return fail(c, "an included template is too large");
	sub.tname = name;
	return range(&sub, src, src + len, s, depth + 1);
}

static enum ptl_err
range(struct ctx *c, const char *p, const char *end, struct ptl_tmpl_scope *s,
      int depth)
{
	const char *body_end, *after;
	struct tag t;
	enum ptl_err e;

	if (depth > PTL_TMPL_DEPTH_MAX)
		return fail(c, "sections or includes nested too deep");
	while (p < end) {
		const char *open = memmem(p, (size_t)(end - p), "{{", 2);

		if (open == NULL) {
			ptl_buf_add(c->out, p, (size_t)(end - p));
			break;
		}
		ptl_buf_add(c->out, p, (size_t)(open - p));
		if (!read_tag(open, end, &t))
			return fail(c, "a malformed tag");
		p = t.after;
		switch (t.sigil) {
		case '!':
			break;
		case '\0':
			emit_value(c, s, t.name);
			break;
		case '>':
			e = include(c, t.name, s, depth);
			if (e != PTL_OK)
				return e;
			break;
		case '/':
			return fail(c, "a close without its section");
		default:
			if (!find_close(p, end, t.name, &body_end, &after))
				return fail(c, "a section is not closed");
			e = section(c, &t, p, body_end, s, depth);
			if (e != PTL_OK)
				return e;
			p = after;
			break;
		}
	}
	return c->out->overflow ? fail(c, "the page passed its size cap")
				: PTL_OK;
}

enum ptl_err
ptl_tmpl_render(const char *name, const char *src, size_t len,
		struct ptl_tmpl_scope *s, const struct ptl_tmpl_loader *ld,
		struct ptl_buf *out)
{
	struct ctx c = {name, ld, out};

	if (len > PTL_TMPL_SRC_MAX)
		return fail(&c, "the template is too large");
	return range(&c, src, src + len, s, 0);
}
