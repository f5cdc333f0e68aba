/* SPDX-License-Identifier: ISC */
/*
 * mail: the SMTP adapter. It reads the reference's MAIL_* settings, renders
 * the three mails of API.md §4 as complete RFC 5322 / MIME messages
 * (multipart/alternative: the one-line text part of §4.0 and an HTML part
 * from a template file, both UTF-8 and quoted-printable) and hands one
 * message to an SMTP server through libcurl. It is the only file that talks
 * SMTP. It does not queue, retry or rate-limit (the outbox does), does not
 * build the links (the caller passes the finished URL), and does not
 * translate titles (ptl_mail_render_title() takes one).
 */
#ifndef PTL_MAIL_H
#define PTL_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/mem.h"

/* Largest template file read, and largest message rendered, in bytes. */
#define PTL_MAIL_TEMPLATE_MAX ((size_t)64 * 1024)
#define PTL_MAIL_MESSAGE_MAX ((size_t)512 * 1024)
/* Largest URL accepted by the renderer, in bytes. */
#define PTL_MAIL_URL_MAX ((size_t)4096)

/* The settings. Strings are process-lifetime (they come from ptl_cfg_get()
 * or are literals); user and password are NULL when unset. */
struct ptl_mail_cfg {
	const char *host;         /* MAIL_HOST, "localhost" */
	unsigned port;            /* MAIL_PORT, 1025 */
	const char *user;         /* MAIL_USER: AUTH only when set */
	const char *password;     /* MAIL_PASSWORD */
	bool ignore_tls;          /* MAIL_IGNORE_TLS: never STARTTLS */
	bool secure;              /* MAIL_SECURE: implicit TLS (smtps://) */
	bool require_tls;         /* MAIL_REQUIRE_TLS: STARTTLS or fail */
	const char *from_email;   /* MAIL_DEFAULT_EMAIL, noreply@example.com */
	const char *from_name;    /* MAIL_DEFAULT_NAME, "Api" */
	const char *template_dir; /* MAIL_TEMPLATE_DIR */
	long connect_timeout_ms;  /* MAIL_CONNECT_TIMEOUT_MS, 3000 */
	long timeout_ms;          /* MAIL_TIMEOUT_MS, 10000 */
};

/* The mails of API.md §4.1-4.2. Parallel to the table in mail.c. */
enum ptl_mail_kind {
	PTL_MAIL_CONFIRM,     /* activation.html, "Confirm email" */
	PTL_MAIL_CONFIRM_NEW, /* confirm-new-email.html, "Confirm email" */
	PTL_MAIL_RESET,       /* reset-password.html, "Reset password" */
	PTL_MAIL__MAX
};

/*
 * Fills mc from the MAIL_* settings (ptl_cfg_get: environment, then .env).
 * Empty values count as unset. MAIL_TEMPLATE_DIR defaults to the
 * compile-time PTL_MAIL_TEMPLATE_DIR, else "mail" (relative to the working
 * directory). MAIL_SECURE wins over MAIL_IGNORE_TLS (which only concerns
 * STARTTLS, as in nodemailer); MAIL_IGNORE_TLS with MAIL_REQUIRE_TLS is a
 * contradiction. AUTH over a connection that may stay plain is allowed but
 * logged as a warning.
 * Returns PTL_OK, or PTL_ERR_INTERNAL with one log line naming the setting
 * when a value does not parse (booleans: true/false/1/0/yes/no; port
 * 1-65535; timeouts 1-600000 ms), the host is not a plain host name or IP
 * address, the sender address or name is unusable in a header, or
 * MAIL_PASSWORD is set without MAIL_USER.
 */
enum ptl_err ptl_mail_cfg_load(struct ptl_mail_cfg *mc)
    __attribute__((warn_unused_result, nonnull));

/* The English title (and Subject) of a kind: "Confirm email" or "Reset
 * password"; NULL for an out-of-range kind. Static storage. */
const char *ptl_mail_title(enum ptl_mail_kind kind);

/*
 * Renders the complete message of kind for recipient to, linking url, with
 * the English title of the kind. Same as ptl_mail_render_title() with
 * title NULL; see there.
 */
enum ptl_err ptl_mail_render(struct ptl_arena *a, const struct ptl_mail_cfg *mc,
			     enum ptl_mail_kind kind, const char *to,
			     const char *url, int64_t now_ms, char **out,
			     size_t *out_len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Renders one RFC 5322 message, lines ending in CRLF: From ("name" <email>
 * from mc; the name as an RFC 2047 encoded-word when not ASCII), To, Subject
 * (the title, RFC 2047 when not ASCII), Date (now_ms, UTC, RFC 5322 §3.3),
 * Message-ID (random, at the domain of the sender), MIME-Version and a
 * multipart/alternative body with a random boundary. Part 1 is text/plain,
 * whose decoded content is exactly "<url> <title>" with no line break
 * (API.md §4.0); part 2 is text/html from <template_dir>/<base>.html with
 * every "{{url}}" and "{{title}}" replaced by the HTML-escaped value. Both
 * parts are UTF-8 and quoted-printable (RFC 2045 §6.7). The template is
 * read from disk on every call (at most PTL_MAIL_TEMPLATE_MAX bytes), so an
 * edited template takes effect without a restart; nothing is cached.
 *
 * title NULL means the English title of the kind. to must be a bare
 * addr-spec (local@domain: atext or a simple quoted local part, UTF-8
 * allowed, no display name, no '<', '>', ',', ';', spaces or controls);
 * url must be printable ASCII without spaces (RFC 3986), at most
 * PTL_MAIL_URL_MAX bytes. to, url and title are borrowed. Strings cannot
 * hold a NUL: the caller must reject NULs in its input (validate does).
 *
 * OUT: *out receives the NUL-terminated message (arena-owned) and *out_len
 * its length without the NUL; both are untouched on failure.
 * Returns PTL_ERR_BAD_REQUEST (and builds nothing) when to, url, title or
 * the sender in mc holds a CR, LF or other control character, is not
 * UTF-8, or is otherwise not acceptable as above; PTL_ERR_INTERNAL (logged)
 * for an out-of-range kind, an unreadable or oversized template, or a
 * message over PTL_MAIL_MESSAGE_MAX.
 */
enum ptl_err ptl_mail_render_title(struct ptl_arena *a,
				   const struct ptl_mail_cfg *mc,
				   enum ptl_mail_kind kind, const char *title,
				   const char *to, const char *url,
				   int64_t now_ms, char **out, size_t *out_len)
    __attribute__((warn_unused_result, nonnull(1, 2, 5, 6, 8, 9)));

/*
 * Delivers msg[0..len) (a rendered message) to to through the SMTP server
 * of mc: smtp:// with STARTTLS as configured, or smtps:// when mc->secure;
 * AUTH when mc->user is set; certificates are verified. The envelope sender
 * is mc->from_email. Blocks for at most mc->timeout_ms. The first call runs
 * curl_global_init() (lazily, once per process: the process is
 * single-threaded; calling curl_global_init() at start-up as well is
 * harmless). All arguments are borrowed.
 * Returns PTL_OK only when the server answered 250 to the end of DATA;
 * PTL_ERR_BAD_REQUEST when to or the sender is not an acceptable address
 * (nothing is sent; retrying cannot help); PTL_ERR_UNAVAILABLE on any SMTP
 * or network failure (refused, timeout, TLS, AUTH, rejected recipient),
 * logged once with curl's error text and the SMTP reply code, never the
 * password.
 */
enum ptl_err ptl_mail_send(const struct ptl_mail_cfg *mc, const char *to,
			   const char *msg, size_t len)
    __attribute__((warn_unused_result, nonnull));

#endif
