/* SPDX-License-Identifier: ISC */
/*
 * session: see session.h. The refresh secret of generation g is
 * hex(HMAC-SHA-256(K, nonce || g)) with K derived from AUTH_REFRESH_SECRET:
 * the database holds only the nonce and BLAKE2b digests, which are useless
 * without K, and the current secret can be re-derived for the tolerated
 * multi-tab reuse of API.md §10.4 without ever storing it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "base/buf.h"
#include "base/str.h"
#include "base/utf8.h"
#include "adapters/crypto.h"
#include "base/log.h"
#include "domain/audit.h"
#include "domain/session.h"

#define NONCE_LEN 16
#define SECRET_HEX 64

static void
derive(const struct ptl_app *app, const unsigned char nonce[NONCE_LEN],
       int64_t gen, char out[SECRET_HEX + 1])
{
	unsigned char msg[NONCE_LEN + 8], mac[PTL_CRYPTO_DIGEST_LEN];
	int i;

	memcpy(msg, nonce, NONCE_LEN);
	for (i = 0; i < 8; i++)
		msg[NONCE_LEN + i] = (unsigned char)((uint64_t)gen >> (56 - 8 * i));
	ptl_crypto_hmac_with(mac, app->refresh_derive, msg, sizeof(msg));
	ptl_str_hex(out, mac, sizeof(mac));
	ptl_crypto_wipe(mac, sizeof(mac));
}

static void
digest_hex(const char *secret, unsigned char out[PTL_CRYPTO_DIGEST_LEN])
{
	ptl_crypto_digest(out, secret, strlen(secret));
}

/* s clipped to max bytes (base/utf8.h), or NULL. Arena-owned. */
static const char *
clip(struct ptl_arena *a, const char *s, size_t max)
{
	char *out;

	if (s == NULL)
		return NULL;
	out = ptl_mem_alloc(a, max + 1);
	(void)ptl_utf8_clip(out, max, s, strlen(s));
	return out;
}

static enum ptl_err
insert(struct ptl_arena *a, struct ptl_app *app, int64_t user_id,
       const unsigned char *d, const unsigned char *nonce,
       const char *user_agent, const char *ip, int64_t now_ms,
       int64_t *session_id)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_SESSION_INSERT);
	enum ptl_err e;

	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_blob(st, 2, d, PTL_CRYPTO_DIGEST_LEN);
	ptl_db_bind_blob(st, 3, nonce, NONCE_LEN);
	ptl_db_bind_int(st, 4, now_ms);
	ptl_db_bind_int(st, 5, now_ms + app->cfg.refresh_ttl_ms);
	ptl_db_bind_textz(st, 6, clip(a, user_agent, PTL_SESSION_UA_MAX));
	ptl_db_bind_textz(st, 7, clip(a, ip, PTL_SESSION_IP_MAX));
	e = ptl_db_exec(st);
	if (e == PTL_OK)
		*session_id = ptl_db_last_id(app->db);
	return e;
}

/*
 * Ends the live sessions of user_id past the AUTH_MAX_SESSIONS most
 * recently used (the new one is the most recent), each revoked as
 * "session_limit" and audited (session_revoked, with the client of the
 * sign-in that passed the limit). Without it one account could pile up
 * sessions without end, and with them the rows of its session list.
 */
static enum ptl_err
trim(struct ptl_arena *a, struct ptl_app *app, int64_t user_id,
     int64_t now_ms)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_SESSION_TRIM);
	int64_t *ended = NULL;
	size_t n = 0, room = 0, i;
	bool row;
	enum ptl_err e;

	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_int(st, 2, app->cfg.max_sessions);
	ptl_db_bind_int(st, 3, now_ms);
	ptl_db_bind_textz(st, 4, "session_limit");
	for (;;) {
		e = ptl_db_step(st, &row);
		if (e != PTL_OK || !row)
			break;
		if (n == room) {
			int64_t *more;

			room = room == 0 ? 4 : 2 * room;
			more = ptl_mem_alloc(a, room * sizeof(*more));
			if (n > 0)
				memcpy(more, ended, n * sizeof(*more));
			ended = more;
		}
		ended[n++] = ptl_db_int(st, PTL_COL_SESSION_TRIM_ID);
	}
	ptl_db_done(st);
	if (e != PTL_OK)
		return e;
	for (i = 0; i < n; i++) {
		ptl_audit_record(app, PTL_AUDIT_SESSION_REVOKED, user_id,
				 ended[i], "session_limit", now_ms);
		PTL_LOG_SEC("session %lld of user %lld ended: more than %u "
			    "live sessions", (long long)ended[i],
			    (long long)user_id, app->cfg.max_sessions);
	}
	return PTL_OK;
}

enum ptl_err
ptl_session_create(struct ptl_arena *a, struct ptl_app *app, int64_t user_id,
		   const char *user_agent, const char *ip, int64_t now_ms,
		   int64_t *session_id, char **hash)
{
	unsigned char nonce[NONCE_LEN], d[PTL_CRYPTO_DIGEST_LEN];
	char secret[SECRET_HEX + 1];
	enum ptl_err e;

	ptl_crypto_random(nonce, sizeof(nonce));
	derive(app, nonce, 0, secret);
	digest_hex(secret, d);
	e = ptl_db_begin(app->db);
	if (e == PTL_OK) {
		e = insert(a, app, user_id, d, nonce, user_agent, ip, now_ms,
			   session_id);
		if (e == PTL_OK)
			e = trim(a, app, user_id, now_ms);
		e = ptl_db_end(app->db, e);
	}
	if (e == PTL_OK)
		*hash = ptl_mem_strndup(a, secret, SECRET_HEX);
	ptl_crypto_wipe(secret, sizeof(secret));
	return e;
}

struct row {
	int64_t user_id, gen, rotated_at, expires_at, role_id;
	bool revoked, has_prev, user_live;
	unsigned char hash[PTL_CRYPTO_DIGEST_LEN], prev[PTL_CRYPTO_DIGEST_LEN];
	unsigned char nonce[NONCE_LEN];
};

static enum ptl_err
load(struct ptl_app *app, int64_t session_id, struct row *r)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_SESSION_GET);
	const void *p;
	size_t len;
	bool found;
	enum ptl_err e;

	ptl_db_bind_int(st, 1, session_id);
	e = ptl_db_step(st, &found);
	if (e != PTL_OK)
		return e;
	if (!found) {
		ptl_db_done(st);
		return PTL_ERR_UNAUTHORIZED;
	}
	memset(r, 0, sizeof(*r));
	r->user_id = ptl_db_int(st, PTL_COL_SESSION_GET_USER_ID);
	p = ptl_db_blob(st, PTL_COL_SESSION_GET_HASH, &len);
	if (p != NULL && len == sizeof(r->hash))
		memcpy(r->hash, p, len);
	p = ptl_db_blob(st, PTL_COL_SESSION_GET_PREV_HASH, &len);
	r->has_prev = p != NULL && len == sizeof(r->prev);
	if (r->has_prev)
		memcpy(r->prev, p, len);
	p = ptl_db_blob(st, PTL_COL_SESSION_GET_NONCE, &len);
	if (p != NULL && len == sizeof(r->nonce))
		memcpy(r->nonce, p, len);
	r->gen = ptl_db_int(st, PTL_COL_SESSION_GET_GENERATION);
	r->rotated_at = ptl_db_int(st, PTL_COL_SESSION_GET_ROTATED_AT);
	r->expires_at = ptl_db_int(st, PTL_COL_SESSION_GET_EXPIRES_AT);
	r->revoked = !ptl_db_is_null(st, PTL_COL_SESSION_GET_REVOKED_AT);
	r->role_id = ptl_db_int(st, PTL_COL_SESSION_GET_ROLE_ID);
	r->user_live = ptl_db_int(st, PTL_COL_SESSION_GET_USER_LIVE) != 0;
	ptl_db_done(st);
	return PTL_OK;
}

static bool
live(const struct row *r, int64_t now_ms)
{
	return !r->revoked && r->expires_at > now_ms && r->user_live;
}

/*
 * The compare-and-swap of a rotation: the row moves from digest old to the
 * next generation's, in one UPDATE whose WHERE hash = old is the compare.
 * PTL_ERR_CONFLICT when no row changed (another request rotated it
 * first). OUT hash: the new secret.
 */
static enum ptl_err
swap(struct ptl_arena *a, struct ptl_app *app, int64_t session_id,
     const struct row *r, const unsigned char *old, int64_t now_ms,
     char **hash)
{
	char secret[SECRET_HEX + 1];
	unsigned char nd[PTL_CRYPTO_DIGEST_LEN];
	struct ptl_stmt *st;
	enum ptl_err e;

	derive(app, r->nonce, r->gen + 1, secret);
	digest_hex(secret, nd);
	st = ptl_db_q(app->db, PTL_Q_SESSION_ROTATE);
	ptl_db_bind_int(st, 1, session_id);
	ptl_db_bind_blob(st, 2, old, PTL_CRYPTO_DIGEST_LEN);
	ptl_db_bind_blob(st, 3, nd, sizeof(nd));
	ptl_db_bind_int(st, 4, now_ms);
	ptl_db_bind_int(st, 5, now_ms + app->cfg.refresh_ttl_ms);
	e = ptl_db_exec(st);
	if (e == PTL_OK && ptl_db_changes(app->db) != 1)
		e = PTL_ERR_CONFLICT;
	if (e == PTL_OK)
		*hash = ptl_mem_strndup(a, secret, SECRET_HEX);
	ptl_crypto_wipe(secret, sizeof(secret));
	return e;
}

/* Inside the write transaction: what the presented digest d means. */
static enum ptl_err
decide(struct ptl_arena *a, struct ptl_app *app, int64_t session_id,
       const struct row *r, const unsigned char *d, int64_t now_ms,
       char **hash, bool *wrote)
{
	char secret[SECRET_HEX + 1];
	enum ptl_err e;

	if (ptl_crypto_equal(d, r->hash, sizeof(r->hash))) {
		e = swap(a, app, session_id, r, d, now_ms, hash);
		if (e == PTL_ERR_CONFLICT)
			e = PTL_ERR_UNAUTHORIZED;
		*wrote = e == PTL_OK;
		return e;
	}
	if (r->has_prev && ptl_crypto_equal(d, r->prev, sizeof(r->prev)) &&
	    app->cfg.reuse_interval_s > 0 &&
	    now_ms - r->rotated_at <= app->cfg.reuse_interval_s * 1000) {
		/* Another tab refreshed a moment ago: hand out the current
		 * pair rather than ending the session (API.md §10.4). */
		derive(app, r->nonce, r->gen, secret);
		*hash = ptl_mem_strndup(a, secret, SECRET_HEX);
		ptl_crypto_wipe(secret, sizeof(secret));
		return PTL_OK;
	}
	/* A validly signed refresh token of this session that is not the
	 * current one: it was rotated away. Reuse ends the session. */
	e = ptl_session_revoke(app, session_id, "refresh_reuse", now_ms);
	if (e != PTL_OK)
		return e;
	*wrote = true;
	ptl_audit_record(app, PTL_AUDIT_REFRESH_REUSE, r->user_id, session_id,
			 "session_revoked", now_ms);
	PTL_LOG_SEC("refresh token reuse: session %lld of user %lld revoked",
		    (long long)session_id, (long long)r->user_id);
	return PTL_ERR_UNAUTHORIZED;
}

/*
 * The common case without the write lock held across the work: read the
 * row in autocommit, derive the next secret, then the compare-and-swap (of
 * concurrent refreshes with one token, exactly one changes the row). Only
 * when the presented secret is not the current one (reuse, or a lost race:
 * PTL_ERR_CONFLICT) is the decision taken again by rotate_locked(), so
 * that revocation and audit are atomic.
 */
static enum ptl_err
rotate_fast(struct ptl_arena *a, struct ptl_app *app, int64_t session_id,
	    const unsigned char *d, int64_t now_ms, struct row *r, char **hash)
{
	enum ptl_err e = load(app, session_id, r);

	if (e != PTL_OK)
		return e;
	if (!live(r, now_ms))
		return PTL_ERR_UNAUTHORIZED;
	if (!ptl_crypto_equal(d, r->hash, sizeof(r->hash)))
		return PTL_ERR_CONFLICT; /* not current: decide under the lock */
	return swap(a, app, session_id, r, d, now_ms, hash);
}

/* The decision inside BEGIN IMMEDIATE; a rotation and a reuse revocation
 * (which must stick) are committed, anything else rolled back. */
static enum ptl_err
rotate_locked(struct ptl_arena *a, struct ptl_app *app, int64_t session_id,
	      const unsigned char *d, int64_t now_ms, struct row *r,
	      char **hash)
{
	bool wrote = false;
	enum ptl_err e = ptl_db_begin(app->db), committed;

	if (e != PTL_OK)
		return e;
	e = load(app, session_id, r);
	if (e == PTL_OK && !live(r, now_ms))
		e = PTL_ERR_UNAUTHORIZED;
	if (e == PTL_OK)
		e = decide(a, app, session_id, r, d, now_ms, hash, &wrote);
	if (!wrote) {
		ptl_db_rollback(app->db);
		return e;
	}
	committed = ptl_db_commit(app->db);
	return committed != PTL_OK ? committed : e;
}

enum ptl_err
ptl_session_rotate(struct ptl_arena *a, struct ptl_app *app,
		   int64_t session_id, const char *presented, int64_t now_ms,
		   int64_t *user_id, int64_t *role_id, char **hash)
{
	unsigned char d[PTL_CRYPTO_DIGEST_LEN];
	struct row r;
	enum ptl_err e;

	memset(&r, 0, sizeof(r));
	digest_hex(presented, d);
	e = rotate_fast(a, app, session_id, d, now_ms, &r, hash);
	if (e == PTL_ERR_CONFLICT)
		e = rotate_locked(a, app, session_id, d, now_ms, &r, hash);
	if (e == PTL_OK) {
		*user_id = r.user_id;
		*role_id = r.role_id;
	}
	return e;
}

enum ptl_err
ptl_session_revoke(struct ptl_app *app, int64_t session_id, const char *reason,
		   int64_t now_ms)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_SESSION_REVOKE);

	ptl_db_bind_int(st, 1, session_id);
	ptl_db_bind_int(st, 2, now_ms);
	ptl_db_bind_textz(st, 3, reason);
	return ptl_db_exec(st);
}

enum ptl_err
ptl_session_revoke_owned(struct ptl_app *app, int64_t session_id,
			 int64_t user_id, const char *reason, int64_t now_ms)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_SESSION_REVOKE_OWNED);
	enum ptl_err e;

	ptl_db_bind_int(st, 1, session_id);
	ptl_db_bind_int(st, 2, user_id);
	ptl_db_bind_int(st, 3, now_ms);
	ptl_db_bind_textz(st, 4, reason);
	e = ptl_db_exec(st);
	if (e == PTL_OK && ptl_db_changes(app->db) == 0)
		e = PTL_ERR_NOT_FOUND;
	if (e == PTL_OK)
		ptl_audit_record(app, PTL_AUDIT_SESSION_REVOKED, user_id,
				 session_id, reason, now_ms);
	return e;
}

enum ptl_err
ptl_session_revoke_user(struct ptl_app *app, int64_t user_id, int64_t keep_id,
			const char *reason, int64_t now_ms)
{
	struct ptl_stmt *st;

	if (keep_id == 0) {
		st = ptl_db_q(app->db, PTL_Q_SESSION_REVOKE_ALL);
		ptl_db_bind_int(st, 1, user_id);
		ptl_db_bind_int(st, 2, now_ms);
		ptl_db_bind_textz(st, 3, reason);
	} else {
		st = ptl_db_q(app->db, PTL_Q_SESSION_REVOKE_OTHERS);
		ptl_db_bind_int(st, 1, user_id);
		ptl_db_bind_int(st, 2, keep_id);
		ptl_db_bind_int(st, 3, now_ms);
		ptl_db_bind_textz(st, 4, reason);
	}
	return ptl_db_exec(st);
}

enum ptl_err
ptl_session_logout(struct ptl_app *app, int64_t user_id, int64_t session_id,
		   const char *scope, int64_t now_ms, struct ptl_refusal *why)
{
	const char *word; /* the scope, as a literal for the audit log */
	enum ptl_err e;

	ptl_refusal_clear(why);
	if (scope == NULL || *scope == '\0' || strcmp(scope, "local") == 0) {
		word = "local";
		e = ptl_session_revoke(app, session_id, "logout", now_ms);
	} else if (strcmp(scope, "others") == 0) {
		word = "others";
		e = ptl_session_revoke_user(app, user_id, session_id,
					    "logout_others", now_ms);
	} else if (strcmp(scope, "global") == 0) {
		word = "global";
		e = ptl_session_revoke_user(app, user_id, 0, "logout_global",
					    now_ms);
	} else {
		return ptl_refusal_field(why, "scope", "invalidScope");
	}
	if (e == PTL_OK)
		ptl_audit_record(app, PTL_AUDIT_LOGOUT, user_id, session_id,
				 word, now_ms);
	return e;
}

/* s as a JSON string clipped to max bytes through room (max + 1 bytes),
 * or null. */
static void
json_clipped(struct ptl_buf *out, const char *s, char *room, size_t max)
{
	if (s == NULL) {
		ptl_buf_json_strz(out, NULL);
		return;
	}
	ptl_buf_json_str(out, room, ptl_utf8_clip(room, max, s, strlen(s)));
}

enum ptl_err
ptl_session_list_json(struct ptl_app *app, int64_t user_id, int64_t current_id,
		      int64_t now_ms, struct ptl_buf *out)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_SESSION_LIST);
	bool row, first = true;
	enum ptl_err e;

	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_int(st, 2, now_ms);
	ptl_db_bind_int(st, 3, app->cfg.max_sessions);
	ptl_buf_addc(out, '[');
	for (;;) {
		char ua[PTL_SESSION_UA_MAX + 1], ip[PTL_SESSION_IP_MAX + 1];
		int64_t id;

		e = ptl_db_step(st, &row);
		if (e != PTL_OK || !row)
			break;
		id = ptl_db_int(st, PTL_COL_SESSION_LIST_ID);
		ptl_buf_adds(out, first ? "{\"id\":" : ",{\"id\":");
		first = false;
		ptl_buf_addi(out, id);
		ptl_buf_adds(out, ",\"createdAt\":");
		ptl_buf_json_time(
			out, ptl_db_int(st, PTL_COL_SESSION_LIST_CREATED_AT));
		ptl_buf_adds(out, ",\"lastUsedAt\":");
		ptl_buf_json_time(
			out, ptl_db_int(st, PTL_COL_SESSION_LIST_LAST_USED_AT));
		ptl_buf_adds(out, ",\"userAgent\":");
		json_clipped(out, ptl_db_text(st, PTL_COL_SESSION_LIST_USER_AGENT),
			     ua, sizeof(ua) - 1);
		ptl_buf_adds(out, ",\"ip\":");
		json_clipped(out, ptl_db_text(st, PTL_COL_SESSION_LIST_IP), ip,
			     sizeof(ip) - 1);
		ptl_buf_adds(out, id == current_id ? ",\"current\":true}"
						   : ",\"current\":false}");
	}
	ptl_db_done(st);
	ptl_buf_addc(out, ']');
	return e;
}
