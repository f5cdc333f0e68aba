/* SPDX-License-Identifier: ISC */
/*
 * fuzz_refresh: what a token holds once its signature is good, and the
 * session lookup behind it. fuzz_jwt cannot get past the signature; here
 * the harness signs whatever the fuzzer writes, so the claim checks of
 * lib/domain/token.c, libjwt's decoding of header and claims, and the
 * refresh path of lib/domain/signin.c and session.c (rotation, tolerated
 * reuse, reuse detection) see every input.
 *
 * The input is the claims JSON, or a JOSE header JSON, a newline and the
 * claims. In both, @SID@ and @UID@ stand for the id of the harness's live
 * session and its user, @CUR@ and @PREV@ for that session's current and
 * previous refresh secret (rotated 10 s ago; AUTH_REFRESH_REUSE_INTERVAL
 * is 30 s here). The result is signed with the refresh and the access key
 * (HS256, header and claims exactly as given). Confirm and reset links are
 * keyed by their account's state (token.c) and are fuzz_jwt's.
 *
 * Invariants: a token of one key never verifies under another; a verified
 * refresh token has a session id above 0 and a 64-byte hash; a refresh
 * succeeds only with the current or the previous secret of the live
 * session, and hands out a 64-byte secret; an access token that verifies
 * and passes the session check is the live session's user. The database
 * is put back (SQLite's backup API, from a copy taken after setup)
 * whenever an input wrote to it, so that every input meets the same state.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "adapters/crypto.h"
#include "base/buf.h"
#include "base/mem.h"
#include "domain/account.h"
#include "domain/session.h"
#include "domain/signin.h"
#include "domain/token.h"
#include "fuzz.h"

#define SECRET_LEN 64
#define IP "127.0.0.1"

static struct {
	bool ready;
	int64_t user_id, session_id;
	char cur[SECRET_LEN + 1], prev[SECRET_LEN + 1];
	char sid[24], uid[24];
	sqlite3 *db, *snap; /* a second connection, and the copy */
	int version;        /* PRAGMA data_version after the last restore */
} state;

static int
data_version(void)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(state.db, "PRAGMA data_version", -1, &st,
			       NULL) != SQLITE_OK)
		abort();
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
copy_db(sqlite3 *to, sqlite3 *from)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");

	if (b == NULL || sqlite3_backup_step(b, -1) != SQLITE_DONE ||
	    sqlite3_backup_finish(b) != SQLITE_OK)
		abort();
}

/* A user, its live session (rotated once) and an ended one, then the
 * copy of the database that restore() puts back. */
static void
setup(struct ptl_arena *a, struct ptl_app *app)
{
	int64_t now = FUZZ_NOW_MS, ended = 0, uid = 0, rid = 0;
	char *h0 = NULL, *h1 = NULL, *h2 = NULL;

	if (ptl_account_insert(app, "fuzz@example.com", "$argon2id$fuzz",
			       "Fuzz", "Er", PTL_ACCOUNT_ROLE_USER,
			       PTL_ACCOUNT_STATUS_ACTIVE, now - 120000,
			       &state.user_id) != PTL_OK ||
	    ptl_session_create(a, app, state.user_id, "UA/1", IP, now - 60000,
			       &state.session_id, &h0) != PTL_OK ||
	    ptl_session_rotate(a, app, state.session_id, h0, now - 10000, &uid,
			       &rid, &h1) != PTL_OK ||
	    ptl_session_create(a, app, state.user_id, "UA/2", IP, now - 50000,
			       &ended, &h2) != PTL_OK ||
	    ptl_session_revoke(app, ended, "logout", now - 40000) != PTL_OK)
		abort();
	(void)snprintf(state.prev, sizeof(state.prev), "%s", h0);
	(void)snprintf(state.cur, sizeof(state.cur), "%s", h1);
	(void)snprintf(state.sid, sizeof(state.sid), "%lld",
		       (long long)state.session_id);
	(void)snprintf(state.uid, sizeof(state.uid), "%lld",
		       (long long)state.user_id);
	app->cfg.reuse_interval_s = 30;
	if (sqlite3_open(app->cfg.database_path, &state.db) != SQLITE_OK ||
	    sqlite3_open(":memory:", &state.snap) != SQLITE_OK)
		abort();
	sqlite3_busy_timeout(state.db, 5000);
	copy_db(state.snap, state.db);
	state.version = data_version();
	state.ready = true;
}

static void
restore(void)
{
	if (data_version() == state.version)
		return;
	copy_db(state.db, state.snap);
	state.version = data_version();
}

/* p[0..len) with the placeholders replaced, into b. */
static void
expand(struct ptl_buf *b, const char *p, size_t len)
{
	static const char *const names[] = {"@SID@", "@UID@", "@CUR@",
					    "@PREV@"};
	const char *vals[] = {state.sid, state.uid, state.cur, state.prev};
	size_t i, k;

	for (i = 0; i < len; i++) {
		for (k = 0; k < 4; k++) {
			size_t n = strlen(names[k]);

			if (len - i >= n && memcmp(p + i, names[k], n) == 0)
				break;
		}
		if (k == 4) {
			ptl_buf_addc(b, p[i]);
			continue;
		}
		ptl_buf_adds(b, vals[k]);
		i += strlen(names[k]) - 1;
	}
}

/* The compact JWS of header.claims under k (NULL when too long). */
static const char *
sign(struct ptl_arena *a, const struct ptl_hmac_key *k, const char *header,
     const char *claims)
{
	unsigned char mac[PTL_CRYPTO_DIGEST_LEN];
	struct ptl_buf b;

	ptl_buf_init(&b, a, 1024, 32768);
	ptl_buf_b64url(&b, header, strlen(header));
	ptl_buf_addc(&b, '.');
	ptl_buf_b64url(&b, claims, strlen(claims));
	if (b.overflow)
		return NULL;
	ptl_crypto_hmac_with(mac, k, b.data, b.len);
	ptl_buf_addc(&b, '.');
	ptl_buf_b64url(&b, mac, sizeof(mac));
	return b.overflow ? NULL : b.data;
}

static void
check_refresh(struct ptl_arena *a, struct ptl_app *app, const char *tok)
{
	struct ptl_signin_rotated rot;
	const char *hash = NULL;
	int64_t sid = 0;
	bool verified;

	verified = ptl_token_refresh_verify(a, app, tok, FUZZ_NOW_MS, &sid,
					    &hash) == PTL_OK;
	if (verified &&
	    (sid <= 0 || hash == NULL || strlen(hash) != SECRET_LEN))
		__builtin_trap();
	if (ptl_signin_refresh(a, app, tok, FUZZ_NOW_MS, &rot) != PTL_OK)
		return;
	if (!verified || sid != state.session_id || rot.session_id != sid ||
	    rot.user_id != state.user_id || rot.hash == NULL ||
	    strlen(rot.hash) != SECRET_LEN ||
	    (strcmp(hash, state.cur) != 0 && strcmp(hash, state.prev) != 0))
		__builtin_trap();
}

static void
check_access(struct ptl_arena *a, struct ptl_app *app, const char *tok)
{
	struct ptl_access acc;
	struct ptl_user u;

	if (ptl_token_access_verify(a, app, tok, FUZZ_NOW_MS, &acc) != PTL_OK)
		return;
	if (acc.user_id <= 0)
		__builtin_trap();
	if (ptl_account_get_by_session(a, app, acc.session_id, acc.user_id,
				       FUZZ_NOW_MS, &u) != PTL_OK)
		return;
	if (acc.session_id != state.session_id ||
	    acc.user_id != state.user_id || u.id != state.user_id)
		__builtin_trap();
}

/* Each key opens its own tokens only: tr and ta are the same header and
 * claims under the refresh and the access key. */
static void
keys_apart(struct ptl_arena *a, struct ptl_app *app, const char *tr,
	   const char *ta)
{
	struct ptl_access acc;
	const char *hash;
	int64_t sid;

	if (ptl_token_access_verify(a, app, tr, FUZZ_NOW_MS, &acc) == PTL_OK ||
	    ptl_token_refresh_verify(a, app, ta, FUZZ_NOW_MS, &sid, &hash) ==
		PTL_OK)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ptl_arena *a;
	struct ptl_app *app = fuzz_app();
	const char *in = (const char *)data, *nl;
	const char *tr, *ta;
	struct ptl_buf header, claims;

	if (a == NULL)
		a = ptl_mem_new();
	if (!state.ready)
		setup(a, app);
	if (size > 4096)
		return 0;
	ptl_buf_init(&header, a, 64, 8192);
	ptl_buf_init(&claims, a, 256, 8192);
	nl = memchr(in, '\n', size);
	if (nl != NULL) {
		expand(&header, in, (size_t)(nl - in));
		expand(&claims, nl + 1, size - (size_t)(nl + 1 - in));
	} else {
		ptl_buf_adds(&header, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
		expand(&claims, in, size);
	}
	ptl_buf_addc(&header, '\0'); /* the JWS signs up to the first NUL */
	ptl_buf_addc(&claims, '\0');
	tr = sign(a, app->refresh_key.mac, header.data, claims.data);
	ta = sign(a, app->access_key.mac, header.data, claims.data);
	if (tr == NULL || ta == NULL || header.overflow || claims.overflow)
		goto out;
	keys_apart(a, app, tr, ta);
	check_refresh(a, app, tr);
	check_access(a, app, ta);
out:
	restore();
	ptl_mem_reset(a);
	return 0;
}
