/* SPDX-License-Identifier: ISC */
/*
 * social: social sign-in (API.md §5, §10.11) for Google, Apple, Facebook
 * and GitHub. Token login verifies a provider token (Google and Apple ID
 * tokens against the provider's JWKS, RS256 only; Facebook through
 * debug_token and /me; GitHub through /user and /user/emails); the
 * redirect flow starts at authorize (a single-use state, PKCE S256, an
 * OIDC nonce for Google, a browser-binding cookie) and ends at the
 * callback (state checked and spent, code exchanged). Both then find,
 * link or create the user by the rules of API.md §5.2 and open a session.
 * The JWKS of each provider is cached in the process (its lifetime
 * OAUTH_JWKS_CACHE_SECONDS) and fetched again once when a token names a
 * kid the cached set lacks (key rotation; at most 5 such fetches a minute
 * per provider and process). Not responsible for checking
 * the redirect target (web/form.h) nor for the cookies and the answer.
 */
#ifndef PTL_SOCIAL_H
#define PTL_SOCIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/cfg.h"
#include "base/mem.h"
#include "domain/account.h"
#include "domain/app.h"
#include "domain/refusal.h"

enum ptl_social_provider {
	PTL_SOCIAL_GOOGLE,
	PTL_SOCIAL_APPLE,
	PTL_SOCIAL_FACEBOOK,
	PTL_SOCIAL_GITHUB,
	PTL_SOCIAL__MAX
};

/* A state lives this long (API.md §10.11); exp and iat are checked with
 * this clock skew. */
#define PTL_SOCIAL_STATE_TTL_MS (10 * 60 * 1000)
#define PTL_SOCIAL_SKEW_MS (60 * 1000)
/* The name of the browser-binding cookie (Path: the callback's). */
#define PTL_SOCIAL_COOKIE "authportal_oauth"

/* "google", "apple", "facebook", "github" (the users.provider value).
 * Static. */
const char *ptl_social_name(enum ptl_social_provider p);

/*
 * The first setting provider p lacks for token login (redirect false) or
 * for the redirect flow (redirect true), or NULL when it has all it
 * needs: Google GOOGLE_CLIENT_ID (+ GOOGLE_CLIENT_SECRET, BACKEND_DOMAIN);
 * Apple APPLE_APP_AUDIENCE (a non-empty JSON array of strings; no
 * redirect flow); Facebook FACEBOOK_APP_ID, FACEBOOK_APP_SECRET
 * (+ BACKEND_DOMAIN); GitHub GITHUB_CLIENT_ID (+ GITHUB_CLIENT_SECRET,
 * BACKEND_DOMAIN). Static string.
 */
const char *ptl_social_missing(struct ptl_arena *a, const struct ptl_cfg *cfg,
			       enum ptl_social_provider p, bool redirect)
    __attribute__((nonnull));

/* What a provider says about its user. Strings borrowed. */
struct ptl_social_profile {
	const char *id;    /* the provider's subject: required */
	const char *email; /* NULL when none */
	bool email_verified;
	const char *first_name, *last_name; /* NULL when none */
};

/*
 * The find / create / link rules of API.md §5.2 in one write transaction:
 * by (provider, subject) first (the identities of every provider that
 * signed in, then the users row's own provider and social_id), then by
 * the email (only a verified one: else 422 emailNotVerified), an Inactive
 * account found so being re-bound to the provider (its password no longer
 * works); else a new Active user. The identity is recorded, so that each
 * provider that ever reached a user reaches it again. OUT user_id.
 * Errors: PTL_ERR_VALIDATION with why (email emailNotVerified; user
 * userNotFound for a disabled account); a database error.
 */
enum ptl_err
ptl_social_link(struct ptl_arena *a, struct ptl_app *app,
		enum ptl_social_provider p, const struct ptl_social_profile *pr,
		int64_t now_ms, int64_t *user_id, struct ptl_refusal *why)
    __attribute__((warn_unused_result, nonnull));

/* A token login: POST /api/v1/auth/<provider>/login. */
struct ptl_social_login {
	enum ptl_social_provider provider;
	const char *token; /* idToken (Google, Apple) or accessToken */
	const char *first_name, *last_name; /* Apple only: from the body */
	const char *user_agent, *ip;
};

/*
 * Verifies in->token with its provider, links (ptl_social_link) and opens
 * a session; records signin_social or signin_social_failed (audit.h).
 * OUT login: the user, the session, its refresh secret. Errors:
 * PTL_ERR_VALIDATION with why: provider providerNotConfigured:<SETTING>,
 * user wrongToken (invalid, forged, expired or unverifiable), email
 * emailNotVerified, user userNotFound; PTL_ERR_UNAVAILABLE when the
 * provider is down, slow past OAUTH_TIMEOUT_MS or answers 5xx; a
 * database error.
 */
enum ptl_err ptl_social_token_login(struct ptl_arena *a, struct ptl_app *app,
				    const struct ptl_social_login *in,
				    int64_t now_ms, struct ptl_login *login,
				    struct ptl_refusal *why)
    __attribute__((warn_unused_result, nonnull));

/* Where authorize sends the browser, and the cookie that binds the state
 * to it. Arena-owned. */
struct ptl_social_started {
	char *location; /* the provider's authorize URL with its query */
	char *browser;  /* the value of the PTL_SOCIAL_COOKIE cookie */
};

/*
 * Starts the redirect flow of p (Google, Facebook, GitHub): a fresh state
 * (256 random bits), PKCE verifier and S256 challenge, for Google a
 * nonce, and a browser secret; stores their row (state and browser
 * secret as digests) with target (checked by the caller; NULL for
 * FRONTEND_DOMAIN/) for PTL_SOCIAL_STATE_TTL_MS, pruning expired rows.
 * OUT out. Errors: PTL_ERR_VALIDATION with why (provider
 * providerNotConfigured:<SETTING>); PTL_ERR_NO_ROUTE for Apple; a
 * database error.
 */
enum ptl_err ptl_social_authorize(struct ptl_arena *a, struct ptl_app *app,
				  enum ptl_social_provider p,
				  const char *target, int64_t now_ms,
				  struct ptl_social_started *out,
				  struct ptl_refusal *why)
    __attribute__((warn_unused_result, nonnull(1, 2, 6, 7)));

/* A callback: GET /api/v1/auth/<provider>/callback. Strings borrowed,
 * NULL when absent. */
struct ptl_social_callback {
	enum ptl_social_provider provider;
	const char *code, *state, *error;
	const char *browser; /* the PTL_SOCIAL_COOKIE cookie */
	const char *user_agent, *ip;
};

/* How a callback ends. */
struct ptl_social_landing {
	const char *target; /* the stored redirect target, or NULL */
	const char *error;  /* NULL on success, else the ?error= key */
	struct ptl_login login;
};

/*
 * Ends the redirect flow: takes (and so spends) the state's row, checks
 * provider, expiry and browser cookie, exchanges the code at the token
 * endpoint with the code_verifier, verifies the ID token (Google, with
 * its nonce) or reads the profile, links and opens a session. Records
 * the audit event either way. Returns PTL_OK with out->login, or
 * PTL_ERR_VALIDATION with out->error one of invalidState, accessDenied,
 * wrongToken, emailNotVerified, userNotFound, providerUnavailable,
 * providerNotConfigured:<SETTING>; a database error (out->error
 * "serverError").
 */
enum ptl_err ptl_social_callback(struct ptl_arena *a, struct ptl_app *app,
				 const struct ptl_social_callback *in,
				 int64_t now_ms, struct ptl_social_landing *out)
    __attribute__((warn_unused_result, nonnull));

/* The providers linked to user_id ("apple,google"), or NULL when none.
 * Arena-owned. For `authportal user list`. */
const char *ptl_social_linked(struct ptl_arena *a, struct ptl_app *app,
			      int64_t user_id) __attribute__((nonnull));

/* Deletes up to 1000 expired states; OUT removed. For gc. */
enum ptl_err ptl_social_prune(struct ptl_app *app, int64_t now_ms,
			      int64_t *removed)
    __attribute__((warn_unused_result, nonnull));

/* Forgets the cached JWKS of every provider (tests; the end of a
 * process). */
void ptl_social_forget_keys(void);

#endif
