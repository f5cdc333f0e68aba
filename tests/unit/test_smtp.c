/* SPDX-License-Identifier: ISC */
/*
 * test_smtp: delivery through libcurl (lib/adapters/smtp.c) to the SMTP
 * catcher of catcher.h on 127.0.0.1 (accepted; MAIL_REQUIRE_TLS and
 * MAIL_SECURE against a server without TLS refused), to a closed port and
 * to a silent one (bounded timeouts), and the refusal of unacceptable
 * envelope values before anything is sent; the probe of `authportal
 * check-config --smtp` (a handshake and NOOP, no message). Templates come
 * from $srcdir/mail.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "adapters/smtp.h"
#include "base/cfg.h"
#include "base/mem.h"
#include "domain/mail.h"
#include "catcher.h"
#include "tap.h"

#define NOW_MS 1764115199123LL /* Tue, 25 Nov 2025 23:59:59 UTC */
#define URL "http://localhost:3000/confirm-email?hash=eyJhbGciOi.J9&x=1"

static struct ptl_arena *arena;

static double
elapsed_s(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* First, so that libcurl is loaded before the timed cases. */
static void
test_send_real(const struct ptl_cfg_mail *base, struct catcher *c, char **msg,
	       size_t *len)
{
	struct ptl_cfg_mail mc = *base;
	const struct ptl_mail_text text = {
	    .title = "Confirm email",
	    .lines = {"Hey!"},
	    .app = "authportal",
	};

	mc.host = "127.0.0.1";
	mc.port = c->port;
	is_int(ptl_mail_render(arena, &mc, PTL_MAIL_CONFIRM, &text,
			       "user@example.com", URL, NOW_MS, msg, len),
	       PTL_OK, "send: render for the catcher");
	if (*msg == NULL)
		return;
	is_int(ptl_smtp_send(&mc, "user@example.com", *msg, *len), PTL_OK,
	       "send: accepted by the SMTP server on 127.0.0.1");
	catcher_poll(c, 2000);
	is_int(c->messages, 1, "send: the catcher got one message");
	mc.require_tls = true;
	is_int(ptl_smtp_send(&mc, "user@example.com", *msg, *len),
	       PTL_ERR_UNAVAILABLE,
	       "send: MAIL_REQUIRE_TLS without STARTTLS offered fails");
	mc.require_tls = false;
	mc.secure = true;
	mc.timeout_ms = 2000;
	is_int(ptl_smtp_send(&mc, "user@example.com", *msg, *len),
	       PTL_ERR_UNAVAILABLE,
	       "send: MAIL_SECURE against plain SMTP fails");
	catcher_poll(c, 200);
	ok(c->accepted == 3 && c->messages == 1,
	   "send: nothing delivered without the TLS asked for");
}

static void
test_send_failures(struct ptl_cfg_mail mc, const char *msg, size_t len)
{
	struct timespec t0;
	unsigned port = 0;
	int fd;

	mc.host = "127.0.0.1";
	mc.port = loopback_port_closed();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(ptl_smtp_send(&mc, "u@example.com", msg, len),
	       PTL_ERR_UNAVAILABLE, "send: closed port is unavailable");
	ok(elapsed_s(&t0) < 2.0, "send: closed port fails fast");

	fd = loopback_socket(1, &port);
	mc.port = port;
	mc.timeout_ms = 400;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(ptl_smtp_send(&mc, "u@example.com", msg, len),
	       PTL_ERR_UNAVAILABLE, "send: silent server is unavailable");
	ok(elapsed_s(&t0) < 2.0,
	   "send: silent server bounded by MAIL_TIMEOUT_MS");
	if (fd >= 0)
		close(fd);
}

static void
test_refusals(struct ptl_cfg_mail mc, struct catcher *c, const char *msg,
	      size_t len)
{
	unsigned before = c->accepted;

	mc.host = "127.0.0.1";
	mc.port = c->port;
	is_int(ptl_smtp_send(&mc, "u@example.com\r\nRCPT TO:<x@evil.test>", msg,
			     len),
	       PTL_ERR_BAD_REQUEST, "send: CRLF in envelope recipient refused");
	is_int(ptl_smtp_send(&mc, "\"a@b\"@example.com", msg, len),
	       PTL_ERR_BAD_REQUEST, "send: '@' in a quoted local part refused");
	mc.from_email = "noreply@example.com>\r\nRCPT TO:<x@evil.test";
	is_int(ptl_smtp_send(&mc, "u@example.com", msg, len),
	       PTL_ERR_BAD_REQUEST, "send: CRLF in envelope sender refused");
	mc.from_email = "noreply@example.com";
	mc.host = "127.0.0.1:25/x";
	is_int(ptl_smtp_send(&mc, "u@example.com", msg, len),
	       PTL_ERR_BAD_REQUEST,
	       "send: a host that changes the URL refused");
	catcher_poll(c, 200);
	is_int(c->accepted, before, "send: no connection for a refusal");
}

/* The check of `authportal check-config --smtp`: a handshake and NOOP,
 * no message. */
static void
test_probe(struct ptl_cfg_mail mc, struct catcher *c)
{
	unsigned accepted = c->accepted, messages = c->messages;

	mc.host = "127.0.0.1";
	mc.port = c->port;
	is_int(ptl_smtp_probe(&mc), PTL_OK, "probe: the catcher answers");
	catcher_poll(c, 500);
	ok(c->accepted == accepted + 1 && c->messages == messages,
	   "probe: one connection, no message");
	mc.require_tls = true;
	is_int(ptl_smtp_probe(&mc), PTL_ERR_UNAVAILABLE,
	       "probe: MAIL_REQUIRE_TLS without STARTTLS offered fails");
	mc.require_tls = false;
	mc.port = loopback_port_closed();
	is_int(ptl_smtp_probe(&mc), PTL_ERR_UNAVAILABLE,
	       "probe: a closed port fails");
	mc.host = "127.0.0.1:25/x";
	is_int(ptl_smtp_probe(&mc), PTL_ERR_BAD_REQUEST,
	       "probe: a host that changes the URL refused");
	catcher_poll(c, 200);
}

int
main(void)
{
	const char *srcdir = getenv("srcdir");
	struct ptl_cfg_mail mc;
	struct catcher c;
	char *msg = NULL;
	size_t len = 0;

	if (sodium_init() < 0)
		return 99;
	if (!catcher_start(&c, false)) {
		printf("Bail out! cannot start the SMTP catcher\n");
		return 1;
	}
	arena = ptl_mem_new();
	setenv("ENV_FILE", "/dev/null", 1);
	setenv("MAIL_TEMPLATE_DIR",
	       ptl_mem_printf(arena, "%s/mail", srcdir != NULL ? srcdir : "."),
	       1);
	setenv("MAIL_CONNECT_TIMEOUT_MS", "1000", 1);
	if (ptl_cfg_load_mail(&mc) != PTL_OK)
		return 99;
	test_send_real(&mc, &c, &msg, &len);
	if (msg != NULL) {
		test_send_failures(mc, msg, len);
		test_refusals(mc, &c, msg, len);
	}
	test_probe(mc, &c);
	catcher_stop(&c);
	ptl_mem_free(arena);
	return done();
}
