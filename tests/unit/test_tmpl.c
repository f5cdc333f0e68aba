/* SPDX-License-Identifier: ISC */
/* Unit tests of lib/base/tmpl.c: every value escaped (a name like
 * <script> is text, in element text and in attributes), missing names,
 * sections, inverted sections, lists with their own scopes, includes,
 * the one unescaped kind (rendered output), the texts lookup, and the
 * caps and malformed templates, which fail cleanly. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/tmpl.h"
#include "tap.h"

static struct ptl_arena *A;

/* The rendering of src in s (NULL when it fails). */
static const char *
render(const char *src, struct ptl_tmpl_scope *s,
       const struct ptl_tmpl_loader *ld)
{
	struct ptl_buf out;

	ptl_buf_init(&out, A, 64, 4096);
	if (ptl_tmpl_render("test", src, strlen(src), s, ld, &out) != PTL_OK)
		return NULL;
	return out.data;
}

static void
test_escaping(void)
{
	struct ptl_tmpl_scope *s = ptl_tmpl_scope_new(A, NULL);

	ptl_tmpl_set(s, "name", "<script>alert(1)</script>");
	is_str(render("<p>{{name}}</p>", s, NULL),
	       "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
	       "a <script> name renders as text");
	ptl_tmpl_set(s, "v", "\" onmouseover='x' a=`b` &amp;");
	is_str(render("<input value=\"{{v}}\">", s, NULL),
	       "<input value=\"&quot; onmouseover=&#39;x&#39; a=&#96;b&#96; "
	       "&amp;amp;\">",
	       "quotes, backquotes and & are escaped in an attribute");
	ptl_tmpl_set(s, "v", "plain text, UTF-8: é ✓");
	is_str(render("{{v}}", s, NULL), "plain text, UTF-8: é ✓",
	       "other text is copied as it is");
	is_str(render("{{ v }}", s, NULL), "plain text, UTF-8: é ✓",
	       "spaces inside a tag are allowed");
	is_str(render("a{{! a comment, {v} }}b", s, NULL), "ab",
	       "a comment renders nothing");
}

static void
test_missing_and_sections(void)
{
	struct ptl_tmpl_scope *s = ptl_tmpl_scope_new(A, NULL);

	is_str(render("[{{nothing}}]", s, NULL), "[]",
	       "a missing name renders nothing");
	is_str(render("[{{#nothing}}x{{/nothing}}]", s, NULL), "[]",
	       "a missing section is off");
	is_str(render("[{{^nothing}}x{{/nothing}}]", s, NULL), "[x]",
	       "an inverted missing section is on");
	ptl_tmpl_set(s, "empty", "");
	ptl_tmpl_set_bool(s, "yes", true);
	ptl_tmpl_set_bool(s, "no", false);
	ptl_tmpl_set(s, "who", "<b>");
	is_str(render("{{#empty}}e{{/empty}}{{#yes}}y{{/yes}}{{#no}}n{{/no}}"
		      "{{^no}}!n{{/no}}{{#who}}({{who}}){{/who}}",
		      s, NULL),
	       "y!n(&lt;b&gt;)", "text, true and false sections");
	is_str(render("{{#yes}}a{{#yes}}b{{/yes}}c{{/yes}}", s, NULL), "abc",
	       "nested sections of the same name");
	ptl_tmpl_set(s, "who", NULL);
	is_str(render("{{#who}}x{{/who}}", s, NULL), "",
	       "a value set to NULL is unset");
}

static void
test_lists(void)
{
	struct ptl_tmpl_scope *s = ptl_tmpl_scope_new(A, NULL);
	struct ptl_tmpl_scope *it;

	ptl_tmpl_set(s, "outer", "O");
	ptl_tmpl_set(s, "name", "outer-name");
	is_str(render("{{#rows}}x{{/rows}}{{^rows}}none{{/rows}}", s, NULL),
	       "none", "an empty list");
	it = ptl_tmpl_add_item(s, "rows");
	ptl_tmpl_set(it, "name", "<a>");
	it = ptl_tmpl_add_item(s, "rows");
	ptl_tmpl_set(it, "name", "b");
	ptl_tmpl_set_bool(it, "last", true);
	is_str(render("{{#rows}}[{{name}}{{outer}}{{#last}}!{{/last}}]{{/rows}}"
		      "{{name}}",
		      s, NULL),
	       "[&lt;a&gt;O][bO!]outer-name",
	       "items in order, escaped, their names hiding the outer ones");
}

static const char *
find(void *ctx, const char *name, size_t *len)
{
	(void)ctx;
	if (strcmp(name, "part") == 0) {
		*len = strlen("<i>{{x}}</i>");
		return "<i>{{x}}</i>";
	}
	if (strcmp(name, "loop") == 0) {
		*len = strlen("{{>loop}}");
		return "{{>loop}}";
	}
	return NULL;
}

static const char *
texts(void *ctx, const char *key)
{
	(void)ctx;
	return strcmp(key, "hello") == 0 ? "Hi <you>" : NULL;
}

static void
test_includes_html_texts(void)
{
	const struct ptl_tmpl_loader ld = {find, NULL};
	const struct ptl_tmpl_texts tx = {"t.", texts, NULL};
	struct ptl_tmpl_scope *s = ptl_tmpl_scope_new(A, NULL);
	struct ptl_tmpl_html h = {"<b>bold</b>", 11};
	struct ptl_buf out;

	ptl_tmpl_set(s, "x", "&");
	is_str(render("a{{>part}}b", s, &ld), "a<i>&amp;</i>b",
	       "an include renders in the same scope");
	ok(render("{{>nothere}}", s, &ld) == NULL, "a missing include fails");
	ok(render("{{>part}}", s, NULL) == NULL,
	   "an include without a loader fails");
	ok(render("{{>loop}}", s, &ld) == NULL,
	   "an include of itself stops at the depth cap");
	ptl_tmpl_set_html(s, "content", &h);
	is_str(render("<div>{{content}}</div>", s, NULL),
	       "<div><b>bold</b></div>",
	       "rendered output is not escaped again");
	ptl_tmpl_set_texts(s, &tx);
	is_str(render("{{t.hello}}|{{t.nope}}|{{#t.hello}}on{{/t.hello}}", s,
		      NULL),
	       "Hi &lt;you&gt;||on",
	       "texts are escaped; a missing one is empty");
	/* A text of a child scope comes from the parent's lookup. */
	is_str(render("{{#rows}}{{t.hello}}{{/rows}}", s, NULL), "",
	       "no list, no text");
	(void)ptl_tmpl_add_item(s, "rows");
	is_str(render("{{#rows}}{{t.hello}}{{/rows}}", s, NULL),
	       "Hi &lt;you&gt;", "an item scope finds the texts of its parent");
	ptl_buf_init(&out, A, 64, 4096);
	ptl_tmpl_escape(&out, "<'>", 3);
	is_str(out.data, "&lt;&#39;&gt;", "ptl_tmpl_escape");
}

static void
test_malformed_and_caps(void)
{
	struct ptl_tmpl_scope *s = ptl_tmpl_scope_new(A, NULL);
	static const char *bad[] = {
	    "{{x",
	    "{{#x}}open",
	    "{{/x}}",
	    "{{#x}}{{/y}}",
	    "{{}}",
	    "{{#}}{{/}}",
	    "{{a b}}",
	    "{{a<b}}",
	    "{{#a}}{{#b}}{{/a}}",
	    "{{"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "}}",
	};
	struct ptl_buf out;
	char *big, *deep;
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(render(bad[i], s, NULL) == NULL, "refused: %s", bad[i]);
	ok(render("{ {x} } {x}} }}", s, NULL) != NULL,
	   "braces that are no tag are text");
	big = ptl_mem_alloc(A, PTL_TMPL_SRC_MAX + 2);
	memset(big, 'a', PTL_TMPL_SRC_MAX + 1);
	big[PTL_TMPL_SRC_MAX + 1] = '\0';
	ok(render(big, s, NULL) == NULL, "a template over the cap is refused");
	ptl_tmpl_set_bool(s, "y", true);
	n = PTL_TMPL_DEPTH_MAX + 2;
	deep = ptl_mem_alloc(A, n * 12 + 1);
	for (i = 0; i < n; i++) {
		memcpy(deep + 6 * i, "{{#y}}", 6);
		memcpy(deep + 6 * (n + i), "{{/y}}", 6);
	}
	deep[12 * n] = '\0';
	ok(render(deep, s, NULL) == NULL, "sections past the depth cap fail");
	ptl_tmpl_set(s, "v", "0123456789");
	ptl_buf_init(&out, A, 8, 16);
	ok(ptl_tmpl_render("small", "{{v}}{{v}}", 10, s, NULL, &out) != PTL_OK,
	   "an output past its buffer's cap fails");
}

int
main(void)
{
	A = ptl_mem_new();
	test_escaping();
	test_missing_and_sections();
	test_lists();
	test_includes_html_texts();
	test_malformed_and_caps();
	ptl_mem_free(A);
	return done();
}
