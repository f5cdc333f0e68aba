/* SPDX-License-Identifier: ISC */
/*
 * mail: see mail.h. Every value that reaches a header or the text line is
 * checked before anything is built (no controls, strict UTF-8, addresses
 * through ptl_mime_addr_ok()), so that a CR or LF can never start a header
 * or an SMTP command. The encoding is base/mime.c's; the randomness of the
 * Message-ID and the boundary comes from the crypto adapter.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "adapters/crypto.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/mime.h"
#include "base/utf8.h"
#include "domain/i18n.h"
#include "domain/mail.h"

/* Each kind's template and, in the message files (API.md §12.3), the key
 * of its title in common.json and the file of its lines. */
static const struct {
	const char *base;  /* template file <dir>/<base>.html */
	const char *title; /* common.<title>: Subject, button (API.md §12.3) */
	const char *ns;    /* <ns>.json: text1..text3 (and reset's text4) */
	const char *file;  /* <base>.html */
	const char *what;  /* the mail, in the log */
} kinds[PTL_MAIL__MAX] = {
    [PTL_MAIL_CONFIRM] = {"activation", "confirmEmail", "confirm-email",
			  "activation.html", "sign-up confirmation"},
    [PTL_MAIL_CONFIRM_NEW] = {"confirm-new-email", "confirmEmail",
			      "confirm-new-email", "confirm-new-email.html",
			      "email change"},
    [PTL_MAIL_RESET] = {"reset-password", "resetPassword", "reset-password",
			"reset-password.html", "password reset"},
};

/* Printable ASCII without spaces (RFC 3986 §2): the text part is
 * "<url> <title>" and readers take its first token as the link. */
static bool
url_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
		if (i >= PTL_MAIL_URL_MAX)
			return false;
	}
	return i > 0;
}

/* Every value that reaches a header or the text line, checked before
 * anything is built. Logs which one, never its content. */
static bool
utf8_ok(const char *s)
{
	return s == NULL || ptl_utf8_valid(s, strlen(s));
}

static bool
text_ok(const struct ptl_mail_text *text)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		if (!utf8_ok(text->lines[i]))
			return false;
	}
	return utf8_ok(text->below) && utf8_ok(text->app);
}

static enum ptl_err
check_inputs(const struct ptl_cfg_mail *mc, const struct ptl_mail_text *text,
	     const char *to, const char *url)
{
	const char *bad = NULL;

	if (!ptl_mime_addr_ok(to))
		bad = "recipient address";
	else if (!url_ok(url))
		bad = "url";
	else if (text->title == NULL ||
		 !ptl_mime_text_ok(text->title, PTL_MIME_TEXT_MAX))
		bad = "title";
	else if (!text_ok(text))
		bad = "body line";
	else if (!ptl_mime_addr_ok(mc->from_email))
		bad = "sender address";
	else if (!ptl_mime_text_ok(mc->from_name, PTL_MIME_TEXT_MAX))
		bad = "sender name";
	if (bad == NULL)
		return PTL_OK;
	PTL_LOG_WARN("mail: refusing to render, unacceptable %s", bad);
	return PTL_ERR_BAD_REQUEST;
}

/* Appends s with the five HTML special characters as references. */
static void
html_escape(struct ptl_buf *b, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		switch (s[i]) {
		case '&':
			ptl_buf_adds(b, "&amp;");
			break;
		case '<':
			ptl_buf_adds(b, "&lt;");
			break;
		case '>':
			ptl_buf_adds(b, "&gt;");
			break;
		case '"':
			ptl_buf_adds(b, "&quot;");
			break;
		case '\'':
			ptl_buf_adds(b, "&#39;");
			break;
		default:
			ptl_buf_addc(b, s[i]);
			break;
		}
	}
}

static bool
has_prefix(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	return len >= n && memcmp(s, lit, n) == 0;
}

/* The lines of text, HTML-escaped, "<br>" between them. */
static void
add_lines(struct ptl_buf *b, const struct ptl_mail_text *text)
{
	size_t i;

	for (i = 0; i < 3 && text->lines[i] != NULL; i++) {
		if (i > 0)
			ptl_buf_adds(b, "<br>");
		html_escape(b, text->lines[i]);
	}
}

/* Appends tpl[0..len) with "{{url}}", "{{title}}", "{{app}}", "{{lines}}"
 * and "{{below}}" replaced by their HTML-escaped values. Other "{{...}}"
 * are copied as they are. */
static void
fill_template(struct ptl_buf *b, const char *tpl, size_t len, const char *url,
	      const struct ptl_mail_text *text)
{
	static const char *const names[] = {"{{url}}", "{{title}}", "{{app}}",
					    "{{lines}}", "{{below}}"};
	size_t i = 0, start = 0, k;

	while (i < len) {
		for (k = 0; k < 5; k++) {
			if (has_prefix(tpl + i, len - i, names[k]))
				break;
		}
		if (k == 5) {
			i++;
			continue;
		}
		ptl_buf_add(b, tpl + start, i - start);
		if (k == 0)
			html_escape(b, url);
		else if (k == 1)
			html_escape(b, text->title);
		else if (k == 2 && text->app != NULL)
			html_escape(b, text->app);
		else if (k == 3)
			add_lines(b, text);
		else if (k == 4 && text->below != NULL)
			html_escape(b, text->below);
		i += strlen(names[k]);
		start = i;
	}
	ptl_buf_add(b, tpl + start, len - start);
}

/* Reads <dir>/<base>.html, at most PTL_MAIL_TEMPLATE_MAX bytes, into the
 * arena. Logged on failure. */
static enum ptl_err
template_read(struct ptl_arena *a, const char *dir, const char *base,
	      char **out, size_t *out_len)
{
	return ptl_mem_read_file(a, "mail template",
				 ptl_mem_printf(a, "%s/%s.html", dir, base),
				 PTL_MAIL_TEMPLATE_MAX, out, out_len);
}

/* The two parts and the close delimiter: "<url> <title>" as text, the
 * filled template as HTML. */
static void
add_body(struct ptl_buf *b, struct ptl_arena *a, const char *boundary,
	 const char *tpl, size_t tpl_len, const char *url,
	 const struct ptl_mail_text *text)
{
	const char *title = text->title;
	struct ptl_buf part;

	ptl_buf_init(&part, a, strlen(url) + strlen(title) + 2,
		     PTL_MAIL_MESSAGE_MAX);
	ptl_buf_addf(&part, "%s %s", url, title);
	ptl_mime_add_part(b, boundary, "text/plain", part.data, part.len);
	if (part.overflow)
		b->overflow = true;

	ptl_buf_init(&part, a, tpl_len + 2 * strlen(url) + 1024,
		     PTL_MAIL_MESSAGE_MAX);
	fill_template(&part, tpl, tpl_len, url, text);
	ptl_mime_add_part(b, boundary, "text/html", part.data, part.len);
	if (part.overflow)
		b->overflow = true;
	ptl_mime_add_close(b, boundary);
}

enum ptl_err
ptl_mail_render(struct ptl_arena *a, const struct ptl_cfg_mail *mc,
		enum ptl_mail_kind kind, const struct ptl_mail_text *text,
		const char *to, const char *url, int64_t now_ms, char **out,
		size_t *out_len)
{
	struct ptl_mime_head head;
	struct ptl_buf msg;
	char *tpl;
	size_t tpl_len;
	enum ptl_err e;

	if ((unsigned)kind >= PTL_MAIL__MAX) {
		PTL_LOG_ERR("mail: no such kind %d", (int)kind);
		return PTL_ERR_INTERNAL;
	}
	e = check_inputs(mc, text, to, url);
	if (e != PTL_OK)
		return e;
	e = template_read(a, mc->template_dir, kinds[kind].base, &tpl,
			  &tpl_len);
	if (e != PTL_OK)
		return e;
	head = (struct ptl_mime_head){
	    .from_name = mc->from_name,
	    .from_email = mc->from_email,
	    .to = to,
	    .subject = text->title,
	    .date_ms = now_ms,
	    .message_id = ptl_crypto_random_hex(a, 16),
	    .boundary = ptl_mem_printf(a, PTL_MIME_BOUNDARY_PREFIX "%s",
				       ptl_crypto_random_hex(a, 12)),
	};
	ptl_buf_init(&msg, a, 2048 + 3 * tpl_len, PTL_MAIL_MESSAGE_MAX);
	ptl_mime_add_head(&msg, &head);
	add_body(&msg, a, head.boundary, tpl, tpl_len, url, text);
	if (msg.overflow) {
		PTL_LOG_ERR("mail: message larger than %zu bytes",
			    PTL_MAIL_MESSAGE_MAX);
		return PTL_ERR_INTERNAL;
	}
	*out = msg.data;
	*out_len = msg.len;
	return PTL_OK;
}

/* String ns.key of lang (or the fallback); NULL, logged, when neither
 * has it. */
static const char *
string(const struct ptl_i18n *t, const char *lang, const char *ns,
       const char *key)
{
	const char *v = ptl_i18n_get(t, lang, ns, key);

	if (v == NULL)
		PTL_LOG_ERR("mail: no string %s.%s in the message files of %s "
			    "or %s (APP_I18N_DIR)", ns, key,
			    lang != NULL ? lang : "-", ptl_i18n_fallback(t));
	return v;
}

enum ptl_err
ptl_mail_text(struct ptl_arena *a, const struct ptl_i18n *t,
	      enum ptl_mail_kind kind, const char *lang, const char *app_name,
	      struct ptl_mail_text *out)
{
	static const char *const keys[] = {"text1", "text2", "text3"};
	struct ptl_mail_text m = {.app = app_name};
	size_t i;

	if ((unsigned)kind >= PTL_MAIL__MAX) {
		PTL_LOG_ERR("mail: no such kind %d", (int)kind);
		return PTL_ERR_INTERNAL;
	}
	m.title = string(t, lang, "common", kinds[kind].title);
	for (i = 0; i < 3; i++)
		m.lines[i] = string(t, lang, kinds[kind].ns, keys[i]);
	if (kind == PTL_MAIL_RESET)
		m.below = string(t, lang, kinds[kind].ns, "text4");
	if (m.title == NULL || m.lines[0] == NULL || m.lines[1] == NULL ||
	    m.lines[2] == NULL || (kind == PTL_MAIL_RESET && m.below == NULL))
		return PTL_ERR_INTERNAL;
	/* "You’re almost ready to start enjoying NestJS API." */
	if (kind == PTL_MAIL_CONFIRM)
		m.lines[1] = ptl_mem_printf(a, "%s %s.", m.lines[1], app_name);
	*out = m;
	return PTL_OK;
}

enum ptl_err
ptl_mail_check_strings(const struct ptl_i18n *t, unsigned *bad)
{
	struct ptl_arena *a = ptl_mem_new();
	struct ptl_mail_text text;
	unsigned n = 0;
	int k;

	for (k = 0; k < PTL_MAIL__MAX; k++) {
		if (ptl_mail_text(a, t, (enum ptl_mail_kind)k, NULL, "", &text) !=
		    PTL_OK) {
			PTL_LOG_ERR("mail: the %s mail cannot be sent",
				    kinds[k].what);
			n++;
		}
	}
	ptl_mem_free(a);
	if (bad != NULL)
		*bad = n;
	return n == 0 ? PTL_OK : PTL_ERR_INTERNAL;
}

const char *
ptl_mail_template_name(enum ptl_mail_kind kind)
{
	return (unsigned)kind < PTL_MAIL__MAX ? kinds[kind].file : NULL;
}

/* Why the template of kind cannot be used, or NULL when it can; *has_url
 * tells whether it holds {{url}}. */
static const char *
template_problem(struct ptl_arena *a, const char *dir, enum ptl_mail_kind k,
		 bool *has_url)
{
	char *path = ptl_mem_printf(a, "%s/%s", dir, kinds[k].file);
	char *data = ptl_mem_alloc(a, PTL_MAIL_TEMPLATE_MAX + 2);
	struct stat sb;
	size_t n;
	FILE *f;

	*has_url = false;
	if (stat(path, &sb) != 0)
		return strerror(errno);
	if (!S_ISREG(sb.st_mode))
		return "not a regular file";
	if ((size_t)sb.st_size > PTL_MAIL_TEMPLATE_MAX)
		return "larger than 64 KiB";
	f = fopen(path, "re");
	if (f == NULL)
		return strerror(errno);
	n = fread(data, 1, PTL_MAIL_TEMPLATE_MAX + 1, f);
	if (ferror(f) != 0) {
		(void)fclose(f);
		return "read error";
	}
	(void)fclose(f);
	if (n > PTL_MAIL_TEMPLATE_MAX)
		return "larger than 64 KiB";
	data[n] = '\0';
	*has_url = memmem(data, n, "{{url}}", 7) != NULL;
	return NULL;
}

enum ptl_err
ptl_mail_check_templates(const struct ptl_cfg_mail *mc, unsigned *bad)
{
	struct ptl_arena *a = ptl_mem_new();
	unsigned n = 0;
	int k;

	for (k = 0; k < PTL_MAIL__MAX; k++) {
		bool has_url;
		const char *why = template_problem(a, mc->template_dir,
						   (enum ptl_mail_kind)k,
						   &has_url);

		if (why != NULL) {
			PTL_LOG_ERR("mail template %s/%s: %s: the %s mail "
				    "cannot be sent (MAIL_TEMPLATE_DIR)",
				    mc->template_dir, kinds[k].file, why,
				    kinds[k].what);
			n++;
		} else if (!has_url) {
			PTL_LOG_WARN("mail template %s/%s has no {{url}}: the "
				     "%s mail would carry no link in its "
				     "HTML part", mc->template_dir,
				     kinds[k].file, kinds[k].what);
		}
	}
	ptl_mem_free(a);
	if (bad != NULL)
		*bad = n;
	return n == 0 ? PTL_OK : PTL_ERR_INTERNAL;
}
