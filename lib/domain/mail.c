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
#include "domain/mail.h"

static const struct {
	const char *base;  /* template file <dir>/<base>.html */
	const char *title; /* English title and Subject (API.md §4.1-4.2) */
	const char *file;  /* <base>.html */
	const char *what;  /* the mail, in the log */
} kinds[PTL_MAIL__MAX] = {
    [PTL_MAIL_CONFIRM] = {"activation", "Confirm email", "activation.html",
			  "sign-up confirmation"},
    [PTL_MAIL_CONFIRM_NEW] = {"confirm-new-email", "Confirm email",
			      "confirm-new-email.html", "email change"},
    [PTL_MAIL_RESET] = {"reset-password", "Reset password",
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
static enum ptl_err
check_inputs(const struct ptl_cfg_mail *mc, const char *title, const char *to,
	     const char *url)
{
	const char *bad = NULL;

	if (!ptl_mime_addr_ok(to))
		bad = "recipient address";
	else if (!url_ok(url))
		bad = "url";
	else if (!ptl_mime_text_ok(title, PTL_MIME_TEXT_MAX))
		bad = "title";
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

/* Appends tpl[0..len) with "{{url}}" and "{{title}}" replaced by their
 * HTML-escaped values. Other "{{...}}" are copied as they are. */
static void
fill_template(struct ptl_buf *b, const char *tpl, size_t len, const char *url,
	      const char *title)
{
	size_t i = 0, start = 0;

	while (i < len) {
		const char *value = NULL;
		size_t skip = 0;

		if (has_prefix(tpl + i, len - i, "{{url}}")) {
			value = url;
			skip = 7;
		} else if (has_prefix(tpl + i, len - i, "{{title}}")) {
			value = title;
			skip = 9;
		}
		if (value == NULL) {
			i++;
			continue;
		}
		ptl_buf_add(b, tpl + start, i - start);
		html_escape(b, value);
		i += skip;
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
	char *path = ptl_mem_printf(a, "%s/%s.html", dir, base);
	char *data = ptl_mem_alloc(a, PTL_MAIL_TEMPLATE_MAX + 1);
	FILE *f = fopen(path, "re");
	size_t n;
	bool failed;

	if (f == NULL) {
		PTL_LOG_ERR("mail template %s: %s", path, strerror(errno));
		return PTL_ERR_INTERNAL;
	}
	n = fread(data, 1, PTL_MAIL_TEMPLATE_MAX + 1, f);
	failed = ferror(f) != 0;
	(void)fclose(f);
	if (failed) {
		PTL_LOG_ERR("mail template %s: read error", path);
		return PTL_ERR_INTERNAL;
	}
	if (n > PTL_MAIL_TEMPLATE_MAX) {
		PTL_LOG_ERR("mail template %s: larger than %zu bytes", path,
			    PTL_MAIL_TEMPLATE_MAX);
		return PTL_ERR_INTERNAL;
	}
	*out = data;
	*out_len = n;
	return PTL_OK;
}

/* The two parts and the close delimiter: "<url> <title>" as text, the
 * filled template as HTML. */
static void
add_body(struct ptl_buf *b, struct ptl_arena *a, const char *boundary,
	 const char *tpl, size_t tpl_len, const char *url, const char *title)
{
	struct ptl_buf part;

	ptl_buf_init(&part, a, strlen(url) + strlen(title) + 2,
		     PTL_MAIL_MESSAGE_MAX);
	ptl_buf_addf(&part, "%s %s", url, title);
	ptl_mime_add_part(b, boundary, "text/plain", part.data, part.len);
	if (part.overflow)
		b->overflow = true;

	ptl_buf_init(&part, a, tpl_len + 2 * strlen(url) + 256,
		     PTL_MAIL_MESSAGE_MAX);
	fill_template(&part, tpl, tpl_len, url, title);
	ptl_mime_add_part(b, boundary, "text/html", part.data, part.len);
	if (part.overflow)
		b->overflow = true;
	ptl_mime_add_close(b, boundary);
}

enum ptl_err
ptl_mail_render_title(struct ptl_arena *a, const struct ptl_cfg_mail *mc,
		      enum ptl_mail_kind kind, const char *title,
		      const char *to, const char *url, int64_t now_ms,
		      char **out, size_t *out_len)
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
	if (title == NULL)
		title = kinds[kind].title;
	e = check_inputs(mc, title, to, url);
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
	    .subject = title,
	    .date_ms = now_ms,
	    .message_id = ptl_crypto_random_hex(a, 16),
	    .boundary = ptl_mem_printf(a, PTL_MIME_BOUNDARY_PREFIX "%s",
				       ptl_crypto_random_hex(a, 12)),
	};
	ptl_buf_init(&msg, a, 2048 + 3 * tpl_len, PTL_MAIL_MESSAGE_MAX);
	ptl_mime_add_head(&msg, &head);
	add_body(&msg, a, head.boundary, tpl, tpl_len, url, title);
	if (msg.overflow) {
		PTL_LOG_ERR("mail: message larger than %zu bytes",
			    PTL_MAIL_MESSAGE_MAX);
		return PTL_ERR_INTERNAL;
	}
	*out = msg.data;
	*out_len = msg.len;
	return PTL_OK;
}

enum ptl_err
ptl_mail_render(struct ptl_arena *a, const struct ptl_cfg_mail *mc,
		enum ptl_mail_kind kind, const char *to, const char *url,
		int64_t now_ms, char **out, size_t *out_len)
{
	return ptl_mail_render_title(a, mc, kind, NULL, to, url, now_ms, out,
				     out_len);
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
