/* SPDX-License-Identifier: ISC */
/*
 * mail: the three mails of API.md §4 as complete RFC 5322 / MIME messages:
 * their kinds, their strings in a language from the message files (API.md
 * §12.3, domain/i18n.h), the HTML part from a template file in
 * MAIL_TEMPLATE_DIR with those strings filled in, and the one-line text
 * part of §4.0, assembled with base/mime.h. It does not queue, retry or
 * rate-limit (the outbox does), does not build the links (the caller
 * passes the finished URL), does not choose the language (the outbox
 * passes the one stored with the mail) and does not send
 * (adapters/smtp.h).
 */
#ifndef PTL_MAIL_H
#define PTL_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "base/cfg.h"
#include "base/err.h"
#include "base/mem.h"

struct ptl_i18n;

/* Largest template file read, and largest message rendered, in bytes. */
#define PTL_MAIL_TEMPLATE_MAX ((size_t)64 * 1024)
#define PTL_MAIL_MESSAGE_MAX ((size_t)512 * 1024)
/* Largest URL accepted by the renderer, in bytes. */
#define PTL_MAIL_URL_MAX ((size_t)4096)

/* The mails of API.md §4.1-4.2; stored as integers in mail_outbox.kind, so
 * never renumbered. Parallel to the table in mail.c. */
enum ptl_mail_kind {
	PTL_MAIL_CONFIRM,     /* activation.html, common.confirmEmail */
	PTL_MAIL_CONFIRM_NEW, /* confirm-new-email.html, common.confirmEmail */
	PTL_MAIL_RESET,       /* reset-password.html, common.resetPassword */
	PTL_MAIL__MAX
};

/* The strings of one mail in one language (API.md §12.3): borrowed. */
struct ptl_mail_text {
	const char *title; /* Subject, text line, <title>, heading, button */
	const char *lines[3]; /* body lines, joined by <br>; NULL ends them */
	const char *below;    /* the cell below the button, or NULL */
	const char *app;      /* APP_NAME, the header cell (never translated) */
};

/*
 * Fills out with the strings of kind in language lang from the message
 * files (domain/i18n.h; a string lang lacks comes from the fallback
 * language), as API.md §12.3 says: the title is common.confirmEmail or
 * common.resetPassword, the lines are <file>.text1 to .text3 of
 * confirm-email (its text2 followed by " <app_name>."), confirm-new-email
 * or reset-password, and below is reset-password.text4. Strings are owned
 * by t or the arena. PTL_ERR_INTERNAL (logged, naming the string) when a
 * string is in neither language, or kind is out of range.
 */
enum ptl_err ptl_mail_text(struct ptl_arena *a, const struct ptl_i18n *t,
			   enum ptl_mail_kind kind, const char *lang,
			   const char *app_name, struct ptl_mail_text *out)
    __attribute__((warn_unused_result, nonnull(1, 2, 5, 6)));

/*
 * Renders one RFC 5322 message, lines ending in CRLF (ptl_mime_add_head()):
 * From ("name" <email> from mc), To, Subject (the title), Date (now_ms),
 * Message-ID (random, at the domain of the sender), MIME-Version and a
 * multipart/alternative body with a random boundary. Part 1 is text/plain,
 * whose decoded content is exactly "<url> <title>" with no line break
 * (API.md §4.0); part 2 is text/html from <template_dir>/<base>.html with
 * every "{{url}}", "{{title}}", "{{app}}", "{{lines}}" (the lines,
 * "<br>" between them) and "{{below}}" (empty when NULL) replaced by the
 * HTML-escaped values. Both parts are UTF-8 and quoted-printable. The
 * template is read from disk on every call (at most PTL_MAIL_TEMPLATE_MAX
 * bytes), so an edited template takes effect without a restart; nothing
 * is cached.
 *
 * to and the sender must pass ptl_mime_addr_ok() (an isEmail address,
 * bare, that a header and the SMTP envelope can carry); the title and the
 * sender name ptl_mime_text_ok() with PTL_MIME_TEXT_MAX; the lines, below
 * and app valid UTF-8 (the message files are); url must be printable
 * ASCII without spaces (RFC 3986), at most PTL_MAIL_URL_MAX bytes. All are
 * borrowed. Strings cannot hold a NUL: the caller must reject NULs in its
 * input (the field validation of web/ and the JSON adapter do).
 *
 * OUT: *out receives the NUL-terminated message (arena-owned) and *out_len
 * its length without the NUL; both are untouched on failure.
 * Returns PTL_ERR_BAD_REQUEST (logged, and nothing built) when to, url,
 * a string of text or the sender in mc is not acceptable as above;
 * PTL_ERR_INTERNAL (logged) for an out-of-range kind, an unreadable or
 * oversized template, or a message over PTL_MAIL_MESSAGE_MAX.
 */
enum ptl_err ptl_mail_render(struct ptl_arena *a, const struct ptl_cfg_mail *mc,
			     enum ptl_mail_kind kind,
			     const struct ptl_mail_text *text, const char *to,
			     const char *url, int64_t now_ms, char **out,
			     size_t *out_len)
    __attribute__((warn_unused_result, nonnull));

/* Checks that the fallback language of t has every string of every mail
 * (ptl_mail_text()), at start and for `authportal check-config`. Logs one
 * error per missing string. OUT bad (may be NULL): how many mails cannot
 * be rendered. PTL_OK, or PTL_ERR_INTERNAL when any. */
enum ptl_err ptl_mail_check_strings(const struct ptl_i18n *t, unsigned *bad)
    __attribute__((nonnull(1)));

/*
 * Checks that every mail can be rendered, at start and for `authportal
 * check-config` (rather than only as a queued mail that fails): each
 * <template_dir>/<base>.html must be a readable regular file of at most
 * PTL_MAIL_TEMPLATE_MAX bytes. Logs one error per unusable template,
 * naming the file, the reason and the mail that cannot be sent, and a
 * warning for a template without "{{url}}" (its HTML part would carry no
 * link). OUT bad (may be NULL): how many are unusable. Returns PTL_OK, or
 * PTL_ERR_INTERNAL when any is unusable.
 */
enum ptl_err ptl_mail_check_templates(const struct ptl_cfg_mail *mc,
				      unsigned *bad)
    __attribute__((nonnull(1)));

/* The template file name of kind ("activation.html"), or NULL for an
 * out-of-range kind. Static. */
const char *ptl_mail_template_name(enum ptl_mail_kind kind);

#endif
