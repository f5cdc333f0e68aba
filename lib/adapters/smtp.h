/* SPDX-License-Identifier: ISC */
/*
 * smtp: the SMTP adapter, the only file that talks to libcurl. It hands
 * one finished message (domain/mail.h renders it) to the SMTP server of the
 * MAIL_* settings. It does not render, queue, retry or rate-limit (the
 * outbox decides when to call it).
 */
#ifndef PTL_SMTP_H
#define PTL_SMTP_H

#include <stddef.h>

#include "base/cfg.h"
#include "base/err.h"

/*
 * Delivers msg[0..len) (a rendered message) to to through the SMTP server
 * of mc: smtp:// with STARTTLS as configured, or smtps:// when mc->secure;
 * AUTH when mc->user is set; certificates are verified. The envelope sender
 * is mc->from_email; the EHLO name is its domain (ptl_mime_domain()).
 * Blocks for at most mc->timeout_ms. The first call loads libcurl and runs
 * curl_global_init() (lazily, once per process: the process is
 * single-threaded). All arguments are borrowed.
 * Returns PTL_OK only when the server answered 250 to the end of DATA;
 * PTL_ERR_BAD_REQUEST when to or the sender fails ptl_mime_addr_ok() or
 * the host ptl_cfg_host_ok() (nothing is sent; retrying cannot help);
 * PTL_ERR_UNAVAILABLE when libcurl cannot be loaded and on any SMTP or
 * network failure (refused, timeout, TLS, AUTH, rejected recipient),
 * logged once with curl's error text and the SMTP reply code, never the
 * password.
 */
enum ptl_err ptl_smtp_send(const struct ptl_cfg_mail *mc, const char *to,
			   const char *msg, size_t len)
    __attribute__((warn_unused_result, nonnull));

/* Why the last ptl_smtp_send() of this process failed, in words for
 * `authportal mail list`: libcurl's error text (controls masked; it may
 * quote the server, never a password) and the SMTP reply code, or
 * "unavailable" when there is none (libcurl could not be loaded).
 * Static, valid until the next send. */
const char *ptl_smtp_last_error(void);

/*
 * Checks the connection to the SMTP server of mc as a delivery would make
 * it (TLS as configured, AUTH when mc->user is set, certificates
 * verified), then sends NOOP and QUIT: nothing is delivered. For
 * `authportal check-config --smtp`. Returns PTL_OK when the server
 * answered 250; PTL_ERR_BAD_REQUEST when the host or the sender is not
 * acceptable (nothing is sent); PTL_ERR_UNAVAILABLE on any failure,
 * logged as ptl_smtp_send() logs one.
 */
enum ptl_err ptl_smtp_probe(const struct ptl_cfg_mail *mc)
    __attribute__((warn_unused_result, nonnull));

#endif
