/* SPDX-License-Identifier: ISC */
/*
 * social: see social.h. Every call to a provider goes through
 * provider_call() (adapters/http.h): a provider that cannot be reached,
 * times out or answers 5xx is PTL_ERR_UNAVAILABLE (503); any other
 * refusal of a token is PTL_ERR_UNAUTHORIZED (422 wrongToken). Tokens,
 * codes, verifiers and client secrets live only in the request's arena,
 * which is wiped at its reset, and the forms and headers that carry them
 * are wiped at once after their call; none is ever logged.
 *
 * The JWKS cache is process-lifetime state of this module rather than of
 * struct ptl_app, so that only the executables that sign in socially
 * link it (and libcrypto's RSA code with it); it holds public keys only.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/crypto.h"
#include "adapters/http.h"
#include "adapters/json.h"
#include "adapters/jwk.h"
#include "base/buf.h"
#include "base/email.h"
#include "base/log.h"
#include "base/utf8.h"
#include "domain/audit.h"
#include "domain/session.h"
#include "domain/social.h"

/* The longest subject, name and provider token we take. */
#define SUBJECT_MAX 255
#define NAME_MAX_LEN 255
#define TOKEN_MAX 8192
#define STATE_MAX 128
#define CODE_MAX 2048

static const char *const names[PTL_SOCIAL__MAX] = {
    [PTL_SOCIAL_GOOGLE] = "google",
    [PTL_SOCIAL_APPLE] = "apple",
    [PTL_SOCIAL_FACEBOOK] = "facebook",
    [PTL_SOCIAL_GITHUB] = "github",
};

const char *
ptl_social_name(enum ptl_social_provider p)
{
	return (unsigned)p < PTL_SOCIAL__MAX ? names[p] : "unknown";
}

/* --- settings ------------------------------------------------------------ */

/* The audiences of APPLE_APP_AUDIENCE, or NULL when it is not a non-empty
 * JSON array of strings. */
static const struct ptl_json *
apple_audiences(struct ptl_arena *a, const struct ptl_cfg *cfg)
{
	struct ptl_json *root = NULL;
	const char *msg;
	size_t i, n;

	if (cfg->apple_app_audience == NULL ||
	    ptl_json_parse(a, cfg->apple_app_audience,
			   strlen(cfg->apple_app_audience), &root,
			   &msg) != PTL_OK ||
	    ptl_json_type(root) != PTL_JSON_ARRAY)
		return NULL;
	n = ptl_json_len(root);
	for (i = 0; i < n; i++) {
		if (ptl_json_type(ptl_json_at(root, i)) != PTL_JSON_STRING)
			return NULL;
	}
	return n > 0 ? root : NULL;
}

const char *
ptl_social_missing(struct ptl_arena *a, const struct ptl_cfg *cfg,
		   enum ptl_social_provider p, bool redirect)
{
	switch (p) {
	case PTL_SOCIAL_GOOGLE:
		if (cfg->google_client_id == NULL)
			return "GOOGLE_CLIENT_ID";
		if (redirect && cfg->google_client_secret == NULL)
			return "GOOGLE_CLIENT_SECRET";
		break;
	case PTL_SOCIAL_APPLE:
		if (apple_audiences(a, cfg) == NULL)
			return "APPLE_APP_AUDIENCE";
		break;
	case PTL_SOCIAL_FACEBOOK:
		if (cfg->facebook_app_id == NULL)
			return "FACEBOOK_APP_ID";
		if (cfg->facebook_app_secret == NULL)
			return "FACEBOOK_APP_SECRET";
		break;
	case PTL_SOCIAL_GITHUB:
		if (cfg->github_client_id == NULL)
			return "GITHUB_CLIENT_ID";
		if (redirect && cfg->github_client_secret == NULL)
			return "GITHUB_CLIENT_SECRET";
		break;
	case PTL_SOCIAL__MAX:
		return "provider";
	}
	if (redirect && cfg->backend_domain == NULL)
		return "BACKEND_DOMAIN";
	return NULL;
}

static enum ptl_err
not_configured(struct ptl_arena *a, const char *setting,
	       struct ptl_refusal *why)
{
	return ptl_refusal_field(
	    why, "provider",
	    ptl_mem_printf(a, "providerNotConfigured:%s", setting));
}

/* --- calls to providers --------------------------------------------------- */

/* GET url (form NULL) or POST form to url with up to two extra headers
 * (an "Accept:" h1 replaces the default Accept: application/json), and
 * the JSON of a 2xx answer in *root. Errors: PTL_ERR_UNAVAILABLE
 * (unreachable, slow, 5xx), PTL_ERR_UNAUTHORIZED (any other status, or an
 * answer that is no JSON). */
static enum ptl_err
provider_call(struct ptl_arena *a, const struct ptl_app *app, const char *url,
	      char *form, const char *h1, const char *h2,
	      struct ptl_json **root)
{
	bool accept = h1 != NULL && strncmp(h1, "Accept:", 7) == 0;
	struct ptl_http_req rq = {
	    .url = url,
	    .form = form,
	    .headers = {accept ? h1 : "Accept: application/json",
			accept ? NULL : h1, h2},
	    .connect_timeout_ms = app->cfg.oauth_connect_timeout_ms,
	    .timeout_ms = app->cfg.oauth_timeout_ms,
	};
	struct ptl_http_resp rs;
	const char *msg;
	enum ptl_err e;

	*root = NULL;
	e = ptl_http_send(a, &rq, &rs);
	if (form != NULL)
		ptl_crypto_wipe(form, strlen(form));
	if (e != PTL_OK)
		return PTL_ERR_UNAVAILABLE;
	if (rs.status >= 500 || rs.status == 429) {
		PTL_LOG_WARN("social: %.*s answered %ld",
			     (int)strcspn(url, "?"), url, rs.status);
		return PTL_ERR_UNAVAILABLE;
	}
	if (rs.status < 200 || rs.status > 299 ||
	    ptl_json_parse(a, rs.body, rs.len, root, &msg) != PTL_OK ||
	    ptl_json_type(*root) != PTL_JSON_OBJECT) {
		*root = NULL;
		return PTL_ERR_UNAUTHORIZED;
	}
	return PTL_OK;
}

static const char *
str_of(const struct ptl_json *obj, const char *name)
{
	const struct ptl_json *v = ptl_json_get(obj, name);
	size_t len;

	return ptl_json_type(v) == PTL_JSON_STRING ? ptl_json_str(v, &len)
						   : NULL;
}

/* A string member of at most max bytes, valid UTF-8 (checked by the
 * parser), or NULL. */
static const char *
bounded(const struct ptl_json *obj, const char *name, size_t max)
{
	const char *s = str_of(obj, name);

	return s != NULL && *s != '\0' && strlen(s) <= max ? s : NULL;
}

/* A name clipped to NAME_MAX_LEN bytes of clean UTF-8; NULL stays NULL. */
static const char *
clip_name(struct ptl_arena *a, const char *s)
{
	char *out;

	if (s == NULL)
		return NULL;
	out = ptl_mem_alloc(a, NAME_MAX_LEN + 1);
	(void)ptl_utf8_clip(out, NAME_MAX_LEN, s, strlen(s));
	return out;
}

/* The email of a profile, lower-cased and trimmed as every auth email is
 * (API.md §0.1), or NULL when the provider gave none or no valid one. */
static const char *
profile_email(struct ptl_arena *a, const char *s)
{
	size_t len, n;
	char *out;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	if (len == 0 || len > 320)
		return NULL;
	out = ptl_mem_alloc(a, PTL_EMAIL_NORMALISED_MAX(len));
	n = ptl_email_normalise(s, len, out, PTL_EMAIL_NORMALISED_MAX(len));
	if (n == SIZE_MAX || !ptl_email_valid(out, n))
		return NULL;
	return out;
}

/* --- JWKS and ID tokens --------------------------------------------------- */

/* Fetches for an unknown kid, at most REFETCH_MAX a REFETCH_WINDOW_MS per
 * provider and process: tokens that name made-up kids must not turn each
 * request into a call to the provider. A rotation needs one. */
#define REFETCH_MAX 5
#define REFETCH_WINDOW_MS (60 * 1000)

static struct {
	char *body;
	size_t len;
	int64_t fetched_ms;
	int64_t refetch_window_ms; /* start of the refetch window */
	unsigned refetches;        /* in that window */
} jwks_cache[PTL_SOCIAL__MAX];

/* Whether an unknown kid may fetch the set of p again now. */
static bool
refetch_allowed(enum ptl_social_provider p, int64_t now_ms)
{
	if (now_ms - jwks_cache[p].refetch_window_ms >= REFETCH_WINDOW_MS ||
	    now_ms < jwks_cache[p].refetch_window_ms) {
		jwks_cache[p].refetch_window_ms = now_ms;
		jwks_cache[p].refetches = 0;
	}
	if (jwks_cache[p].refetches >= REFETCH_MAX)
		return false;
	jwks_cache[p].refetches++;
	return true;
}

void
ptl_social_forget_keys(void)
{
	size_t i;

	for (i = 0; i < PTL_SOCIAL__MAX; i++) {
		free(jwks_cache[i].body);
		jwks_cache[i].body = NULL;
		jwks_cache[i].len = 0;
		jwks_cache[i].fetched_ms = 0;
		jwks_cache[i].refetch_window_ms = 0;
		jwks_cache[i].refetches = 0;
	}
}

static const char *
jwks_url(const struct ptl_cfg *cfg, enum ptl_social_provider p)
{
	return p == PTL_SOCIAL_APPLE ? cfg->apple_jwks_url
				     : cfg->google_jwks_url;
}

/* Fetches the JWKS of p into the cache. PTL_ERR_UNAVAILABLE when it
 * cannot be had (a set that is not a JWK set included). */
static enum ptl_err
jwks_fetch(struct ptl_arena *a, const struct ptl_app *app,
	   enum ptl_social_provider p, int64_t now_ms)
{
	const char *url = jwks_url(&app->cfg, p);
	struct ptl_http_req rq = {
	    .url = url,
	    .headers = {"Accept: application/json"},
	    .connect_timeout_ms = app->cfg.oauth_connect_timeout_ms,
	    .timeout_ms = app->cfg.oauth_timeout_ms,
	};
	struct ptl_http_resp rs;
	enum ptl_err e = ptl_http_send(a, &rq, &rs);
	char *copy;

	if (e != PTL_OK)
		return PTL_ERR_UNAVAILABLE;
	if (rs.status != 200 || !ptl_jwk_set_ok(a, rs.body, rs.len)) {
		PTL_LOG_ERR(
		    "social: the JWKS of %s (%s) answered %ld without a "
		    "JWK set",
		    names[p], url, rs.status);
		return PTL_ERR_UNAVAILABLE;
	}
	copy = ptl_mem_xmalloc(rs.len + 1);
	memcpy(copy, rs.body, rs.len + 1);
	free(jwks_cache[p].body);
	jwks_cache[p].body = copy;
	jwks_cache[p].len = rs.len;
	jwks_cache[p].fetched_ms = now_ms;
	return PTL_OK;
}

/*
 * Verifies token under the JWKS of p: the cached set while it is younger
 * than OAUTH_JWKS_CACHE_SECONDS, else a fresh one; a kid the cached set
 * lacks fetches the set once more (key rotation). OUT claims.
 */
static enum ptl_err
verify_signature(struct ptl_arena *a, const struct ptl_app *app,
		 enum ptl_social_provider p, const char *token, int64_t now_ms,
		 struct ptl_json **claims)
{
	bool fresh = false;
	enum ptl_err e;

	if (jwks_cache[p].body == NULL ||
	    now_ms - jwks_cache[p].fetched_ms >=
		app->cfg.oauth_jwks_cache_s * 1000 ||
	    now_ms < jwks_cache[p].fetched_ms) {
		e = jwks_fetch(a, app, p, now_ms);
		if (e != PTL_OK)
			return e;
		fresh = true;
	}
	e = ptl_jwk_verify(a, jwks_cache[p].body, jwks_cache[p].len, token,
			   claims);
	if (e == PTL_ERR_NOT_FOUND && !fresh && refetch_allowed(p, now_ms)) {
		e = jwks_fetch(a, app, p, now_ms);
		if (e != PTL_OK)
			return e;
		e = ptl_jwk_verify(a, jwks_cache[p].body, jwks_cache[p].len,
				   token, claims);
	}
	if (e == PTL_OK)
		return PTL_OK;
	return e == PTL_ERR_BAD_JSON ? PTL_ERR_UNAVAILABLE
				     : PTL_ERR_UNAUTHORIZED;
}

/* Whether the aud claim (a string, or an array of strings) names one of
 * the audiences (a JSON array) or is want. */
static bool
audience_ok(const struct ptl_json *aud, const char *want,
	    const struct ptl_json *list)
{
	size_t i, j, n = ptl_json_len(list);
	size_t count =
	    ptl_json_type(aud) == PTL_JSON_ARRAY ? ptl_json_len(aud) : 1;

	for (i = 0; i < count && i < 16; i++) {
		const struct ptl_json *one =
		    ptl_json_type(aud) == PTL_JSON_ARRAY ? ptl_json_at(aud, i)
							 : aud;
		size_t len;
		const char *s;

		if (ptl_json_type(one) != PTL_JSON_STRING)
			continue;
		s = ptl_json_str(one, &len);
		if (want != NULL && strcmp(s, want) == 0)
			return true;
		for (j = 0; j < n; j++) {
			size_t l2;
			const char *t = ptl_json_str(ptl_json_at(list, j), &l2);

			if (t != NULL && strcmp(s, t) == 0)
				return true;
		}
	}
	return false;
}

/* exp required, iat optional, both within PTL_SOCIAL_SKEW_MS. */
static bool
times_ok(const struct ptl_json *claims, int64_t now_ms)
{
	const struct ptl_json *exp = ptl_json_get(claims, "exp");
	const struct ptl_json *iat = ptl_json_get(claims, "iat");

	if (ptl_json_type(exp) != PTL_JSON_NUMBER ||
	    ptl_json_num(exp) * 1000.0 + PTL_SOCIAL_SKEW_MS <= (double)now_ms)
		return false;
	if (iat == NULL)
		return true;
	return ptl_json_type(iat) == PTL_JSON_NUMBER &&
	       ptl_json_num(iat) * 1000.0 <=
		   (double)now_ms + PTL_SOCIAL_SKEW_MS;
}

static bool
issuer_ok(enum ptl_social_provider p, const char *iss)
{
	if (iss == NULL)
		return false;
	if (p == PTL_SOCIAL_APPLE)
		return strcmp(iss, "https://appleid.apple.com") == 0;
	return strcmp(iss, "accounts.google.com") == 0 ||
	       strcmp(iss, "https://accounts.google.com") == 0;
}

static bool
nonce_ok(const struct ptl_json *claims, const char *want)
{
	const char *got;

	if (want == NULL)
		return true;
	got = str_of(claims, "nonce");
	return got != NULL && strlen(got) == strlen(want) &&
	       ptl_crypto_equal(got, want, strlen(want));
}

/*
 * An ID token of Google or Apple (API.md §5.1): signature, iss, aud, exp,
 * iat, sub, and the nonce of the redirect flow when nonce is set. OUT pr.
 */
static enum ptl_err
id_token_profile(struct ptl_arena *a, const struct ptl_app *app,
		 enum ptl_social_provider p, const char *token,
		 const char *nonce, int64_t now_ms,
		 struct ptl_social_profile *pr)
{
	const struct ptl_json *list = NULL, *ev;
	struct ptl_json *claims = NULL;
	enum ptl_err e;

	memset(pr, 0, sizeof(*pr));
	e = verify_signature(a, app, p, token, now_ms, &claims);
	if (e != PTL_OK)
		return e;
	if (p == PTL_SOCIAL_APPLE)
		list = apple_audiences(a, &app->cfg);
	if (!issuer_ok(p, str_of(claims, "iss")) ||
	    !audience_ok(ptl_json_get(claims, "aud"),
			 p == PTL_SOCIAL_GOOGLE ? app->cfg.google_client_id
						: NULL,
			 list) ||
	    !times_ok(claims, now_ms) || !nonce_ok(claims, nonce)) {
		ptl_log_at(PTL_LOG_DEBUG, __FILE__, __LINE__,
			   "social: %s ID token: claims refused", names[p]);
		return PTL_ERR_UNAUTHORIZED;
	}
	pr->id = bounded(claims, "sub", SUBJECT_MAX);
	if (pr->id == NULL)
		return PTL_ERR_UNAUTHORIZED;
	pr->email = profile_email(a, str_of(claims, "email"));
	ev = ptl_json_get(claims, "email_verified");
	/* Google: the boolean true only; Apple: true or "true" (§5.1). */
	pr->email_verified =
	    ptl_json_true(ev) ||
	    (p == PTL_SOCIAL_APPLE &&
	     str_of(claims, "email_verified") != NULL &&
	     strcmp(str_of(claims, "email_verified"), "true") == 0);
	if (p == PTL_SOCIAL_GOOGLE) {
		pr->first_name = clip_name(a, str_of(claims, "given_name"));
		pr->last_name = clip_name(a, str_of(claims, "family_name"));
	}
	return PTL_OK;
}

/* --- Facebook and GitHub -------------------------------------------------- */

static char *
urlenc(struct ptl_arena *a, const char *s)
{
	struct ptl_buf b;

	ptl_buf_init(&b, a, strlen(s) * 3 + 1, strlen(s) * 3 + 1);
	ptl_buf_urlencode(&b, s, strlen(s));
	return b.data;
}

/* debug_token (is_valid, our app_id), then /v23.0/me (API.md §5.1). */
static enum ptl_err
facebook_profile(struct ptl_arena *a, const struct ptl_app *app,
		 const char *token, struct ptl_social_profile *pr)
{
	const struct ptl_cfg *cfg = &app->cfg;
	struct ptl_json *root;
	const struct ptl_json *data;
	const char *app_id, *user_id;
	char *url;
	enum ptl_err e;

	memset(pr, 0, sizeof(*pr));
	url = ptl_mem_printf(
	    a, "%s/debug_token?input_token=%s&access_token=%s%%7C%s",
	    cfg->facebook_graph_url, urlenc(a, token),
	    urlenc(a, cfg->facebook_app_id),
	    urlenc(a, cfg->facebook_app_secret));
	e = provider_call(a, app, url, NULL, NULL, NULL, &root);
	ptl_crypto_wipe(url, strlen(url));
	if (e != PTL_OK)
		return e;
	data = ptl_json_get(root, "data");
	app_id = str_of(data, "app_id");
	user_id = str_of(data, "user_id");
	if (!ptl_json_true(ptl_json_get(data, "is_valid")) || app_id == NULL ||
	    strcmp(app_id, cfg->facebook_app_id) != 0)
		return PTL_ERR_UNAUTHORIZED;
	url = ptl_mem_printf(a,
			     "%s/v23.0/me?fields=id,last_name,email,"
			     "first_name&access_token=%s",
			     cfg->facebook_graph_url, urlenc(a, token));
	e = provider_call(a, app, url, NULL, NULL, NULL, &root);
	ptl_crypto_wipe(url, strlen(url));
	if (e != PTL_OK)
		return e;
	pr->id = bounded(root, "id", SUBJECT_MAX);
	/* The profile must be the user the token was issued to. */
	if (pr->id == NULL || (user_id != NULL && strcmp(user_id, pr->id) != 0))
		return PTL_ERR_UNAUTHORIZED;
	pr->email = profile_email(a, str_of(root, "email"));
	pr->email_verified = pr->email != NULL;
	pr->first_name = clip_name(a, str_of(root, "first_name"));
	pr->last_name = clip_name(a, str_of(root, "last_name"));
	if (pr->first_name == NULL)
		pr->first_name = "";
	if (pr->last_name == NULL)
		pr->last_name = "";
	return PTL_OK;
}

/* The primary address of /user/emails; verified tells whether GitHub
 * verified it. NULL when there is none. */
static const char *
github_primary(const struct ptl_json *list, bool *verified)
{
	size_t i, n = ptl_json_len(list);

	*verified = false;
	for (i = 0; i < n && i < 100; i++) {
		const struct ptl_json *e = ptl_json_at(list, i);

		if (ptl_json_true(ptl_json_get(e, "primary"))) {
			*verified = ptl_json_true(ptl_json_get(e, "verified"));
			return str_of(e, "email");
		}
	}
	return NULL;
}

/* GET /user/emails: an array, which provider_call() does not take. */
static enum ptl_err
github_emails(struct ptl_arena *a, const struct ptl_app *app, const char *auth,
	      struct ptl_json **list)
{
	struct ptl_http_req rq = {
	    .url = ptl_mem_printf(a, "%s/user/emails", app->cfg.github_api_url),
	    .headers = {"Accept: application/vnd.github+json", auth},
	    .connect_timeout_ms = app->cfg.oauth_connect_timeout_ms,
	    .timeout_ms = app->cfg.oauth_timeout_ms,
	};
	struct ptl_http_resp rs;
	const char *msg;

	*list = NULL;
	if (ptl_http_send(a, &rq, &rs) != PTL_OK || rs.status >= 500)
		return PTL_ERR_UNAVAILABLE;
	if (rs.status != 200 ||
	    ptl_json_parse(a, rs.body, rs.len, list, &msg) != PTL_OK ||
	    ptl_json_type(*list) != PTL_JSON_ARRAY)
		return PTL_ERR_UNAUTHORIZED;
	return PTL_OK;
}

/* Splits "First Rest of Name" at its first space (API.md §5.5). */
static void
split_name(struct ptl_arena *a, const char *name, struct ptl_social_profile *pr)
{
	const char *sp;

	if (name == NULL || *name == '\0')
		return;
	name = clip_name(a, name);
	sp = strchr(name, ' ');
	if (sp == NULL) {
		pr->first_name = name;
		return;
	}
	pr->first_name = ptl_mem_strndup(a, name, (size_t)(sp - name));
	while (*sp == ' ')
		sp++;
	if (*sp != '\0')
		pr->last_name = sp;
}

/* GitHub's numeric user id as text: a JSON integer from 1 to 2^53 - 1.
 * Past it a double is no longer exact, and two users could read as one
 * id; a fraction, a string or a boolean is no id. NULL otherwise. */
static const char *
github_id(struct ptl_arena *a, const struct ptl_json *id)
{
	double d;

	if (ptl_json_type(id) != PTL_JSON_NUMBER)
		return NULL;
	d = ptl_json_num(id);
	if (!(d >= 1.0 && d < 9007199254740992.0) || d != (double)(int64_t)d)
		return NULL;
	return ptl_mem_printf(a, "%lld", (long long)d);
}

/* GET /user and /user/emails with the token (API.md §5.5). */
static enum ptl_err
github_profile(struct ptl_arena *a, const struct ptl_app *app,
	       const char *token, struct ptl_social_profile *pr)
{
	char *auth = ptl_mem_printf(a, "Authorization: Bearer %s", token);
	struct ptl_json *root = NULL, *emails = NULL;
	bool verified;
	enum ptl_err e;

	memset(pr, 0, sizeof(*pr));
	e = provider_call(
	    a, app, ptl_mem_printf(a, "%s/user", app->cfg.github_api_url), NULL,
	    "Accept: application/vnd.github+json", auth, &root);
	if (e == PTL_OK)
		e = github_emails(a, app, auth, &emails);
	ptl_crypto_wipe(auth, strlen(auth));
	if (e != PTL_OK)
		return e;
	pr->id = github_id(a, ptl_json_get(root, "id"));
	if (pr->id == NULL)
		return PTL_ERR_UNAUTHORIZED;
	pr->email = github_primary(emails, &verified);
	pr->email = profile_email(a, pr->email);
	pr->email_verified = pr->email != NULL && verified;
	split_name(a, str_of(root, "name"), pr);
	return PTL_OK;
}

/* Whether s is 1 to max visible ASCII characters: what every token and
 * code of the providers is (RFC 6750 §2.1's b64token is narrower still).
 * Anything else would end up in a header or a URL we send: a CR or LF
 * would add a header of the client's to our request. */
static bool
token_chars(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max || (unsigned char)s[i] <= ' ' ||
		    (unsigned char)s[i] >= 0x7f)
			return false;
	}
	return i > 0;
}

/* The profile behind a token login's token. */
static enum ptl_err
token_profile(struct ptl_arena *a, const struct ptl_app *app,
	      const struct ptl_social_login *in, int64_t now_ms,
	      struct ptl_social_profile *pr)
{
	enum ptl_err e;

	memset(pr, 0, sizeof(*pr));
	if (!token_chars(in->token, TOKEN_MAX))
		return PTL_ERR_UNAUTHORIZED;
	switch (in->provider) {
	case PTL_SOCIAL_GOOGLE:
		return id_token_profile(a, app, in->provider, in->token, NULL,
					now_ms, pr);
	case PTL_SOCIAL_APPLE:
		e = id_token_profile(a, app, in->provider, in->token, NULL,
				     now_ms, pr);
		/* Apple gives names to the client only (API.md §5.1). */
		pr->first_name = clip_name(a, in->first_name);
		pr->last_name = clip_name(a, in->last_name);
		return e;
	case PTL_SOCIAL_FACEBOOK:
		return facebook_profile(a, app, in->token, pr);
	case PTL_SOCIAL_GITHUB:
		return github_profile(a, app, in->token, pr);
	case PTL_SOCIAL__MAX:
		break;
	}
	return PTL_ERR_UNAUTHORIZED;
}

/* --- find, create, link (API.md §5.2) ------------------------------------- */

struct found {
	int64_t id, status_id;
	bool disabled;
};

static enum ptl_err
find_user(struct ptl_stmt *st, struct found *f)
{
	bool row;
	enum ptl_err e = ptl_db_step(st, &row);

	memset(f, 0, sizeof(*f));
	if (e == PTL_OK && row) {
		f->id = ptl_db_int(st, PTL_COL_SOCIAL_USER_ID);
		f->status_id = ptl_db_int(st, PTL_COL_SOCIAL_USER_STATUS_ID);
		f->disabled = ptl_db_int(st, PTL_COL_SOCIAL_USER_DISABLED) != 0;
	}
	ptl_db_done(st);
	return e;
}

/* Whether any user, deleted ones included, has the address. */
static enum ptl_err
email_taken(struct ptl_app *app, const char *email, bool *taken)
{
	int64_t id;
	enum ptl_err e = ptl_account_find(app, email, &id);

	*taken = e == PTL_OK;
	return e == PTL_ERR_NOT_FOUND ? PTL_OK : e;
}

/* bySocial found: takes the provider's address when no user has it. */
static enum ptl_err
adopt_email(struct ptl_app *app, int64_t user_id, const char *email,
	    int64_t now_ms)
{
	struct ptl_stmt *st;
	bool taken = true;
	enum ptl_err e;

	if (email == NULL)
		return PTL_OK;
	e = email_taken(app, email, &taken);
	if (e != PTL_OK || taken)
		return e;
	st = ptl_db_q(app->db, PTL_Q_USER_SET_EMAIL_ONLY);
	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_textz(st, 2, email);
	ptl_db_bind_int(st, 3, now_ms);
	e = ptl_db_exec(st);
	/* Links mailed to the old address die with it (API.md §4.3). */
	return e == PTL_OK ? ptl_account_new_stamp(app, user_id, false, now_ms)
			   : e;
}

/* The anti-pre-hijack rule: an Inactive account reached by email moves
 * to the provider; its password stops working (needLoginViaProvider). */
static enum ptl_err
rebind(struct ptl_app *app, enum ptl_social_provider p,
       const struct ptl_social_profile *pr, int64_t user_id, int64_t now_ms)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_SET_SOCIAL);
	enum ptl_err e;

	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_textz(st, 2, names[p]);
	ptl_db_bind_textz(st, 3, pr->id);
	ptl_db_bind_int(st, 4, now_ms);
	e = ptl_db_exec(st);
	return e == PTL_OK ? ptl_account_new_stamp(app, user_id, false, now_ms)
			   : e;
}

static enum ptl_err
create_user(struct ptl_app *app, enum ptl_social_provider p,
	    const struct ptl_social_profile *pr, const char *email,
	    int64_t now_ms, int64_t *user_id)
{
	struct ptl_stmt *st;
	bool taken = false;
	enum ptl_err e = PTL_OK;

	/* An address a deleted user holds stays taken (API.md §10.8). */
	if (email != NULL)
		e = email_taken(app, email, &taken);
	if (e != PTL_OK)
		return e;
	st = ptl_db_q(app->db, PTL_Q_USER_INSERT);
	ptl_db_bind_textz(st, 1, taken ? NULL : email);
	ptl_db_bind_null(st, 2);
	ptl_db_bind_textz(st, 3, names[p]);
	ptl_db_bind_textz(st, 4, pr->id);
	ptl_db_bind_textz(st, 5, pr->first_name);
	ptl_db_bind_textz(st, 6, pr->last_name);
	ptl_db_bind_int(st, 7, PTL_ACCOUNT_ROLE_USER);
	ptl_db_bind_int(st, 8, PTL_ACCOUNT_STATUS_ACTIVE);
	ptl_db_bind_int(st, 9, now_ms);
	e = ptl_db_exec(st);
	if (e == PTL_OK)
		*user_id = ptl_db_last_id(app->db);
	return e;
}

static enum ptl_err
record_identity(struct ptl_app *app, enum ptl_social_provider p,
		const char *subject, int64_t user_id, int64_t now_ms)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_IDENTITY_UPSERT);

	ptl_db_bind_textz(st, 1, names[p]);
	ptl_db_bind_textz(st, 2, subject);
	ptl_db_bind_int(st, 3, user_id);
	ptl_db_bind_int(st, 4, now_ms);
	return ptl_db_exec(st);
}

/* The decision of §5.2 step 4, inside the transaction. */
static enum ptl_err
decide(struct ptl_app *app, enum ptl_social_provider p,
       const struct ptl_social_profile *pr, const char *email, int64_t now_ms,
       int64_t *user_id, struct ptl_refusal *why)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_SOCIAL_USER);
	struct found f;
	enum ptl_err e;

	ptl_db_bind_textz(st, 1, names[p]);
	ptl_db_bind_textz(st, 2, pr->id);
	e = find_user(st, &f);
	if (e == PTL_OK && f.id == 0 && email != NULL) {
		st = ptl_db_q(app->db, PTL_Q_SOCIAL_BY_EMAIL);
		ptl_db_bind_textz(st, 1, email);
		e = find_user(st, &f);
		if (e == PTL_OK && f.id != 0 && !f.disabled &&
		    f.status_id == PTL_ACCOUNT_STATUS_INACTIVE)
			e = rebind(app, p, pr, f.id, now_ms);
	} else if (e == PTL_OK && f.id != 0 && !f.disabled) {
		e = adopt_email(app, f.id, email, now_ms);
	}
	if (e != PTL_OK)
		return e;
	if (f.disabled)
		return ptl_refusal_field(why, "user", "userNotFound");
	if (f.id == 0)
		e = create_user(app, p, pr, email, now_ms, &f.id);
	if (e == PTL_OK)
		e = record_identity(app, p, pr->id, f.id, now_ms);
	*user_id = f.id;
	return e;
}

enum ptl_err
ptl_social_link(struct ptl_arena *a, struct ptl_app *app,
		enum ptl_social_provider p, const struct ptl_social_profile *pr,
		int64_t now_ms, int64_t *user_id, struct ptl_refusal *why)
{
	const char *email = profile_email(a, pr->email);
	enum ptl_err e;

	ptl_refusal_clear(why);
	*user_id = 0;
	if (email != NULL && !pr->email_verified)
		return ptl_refusal_field(why, "email", "emailNotVerified");
	if (pr->id == NULL || *pr->id == '\0')
		return ptl_refusal_field(why, "user", "userNotFound");
	e = ptl_db_begin(app->db);
	if (e != PTL_OK)
		return e;
	e = decide(app, p, pr, email, now_ms, user_id, why);
	return ptl_db_end(app->db, e);
}

/* Links, opens the session and loads the user: what both flows end with. */
static enum ptl_err
sign_in(struct ptl_arena *a, struct ptl_app *app, enum ptl_social_provider p,
	const struct ptl_social_profile *pr, const char *user_agent,
	const char *ip, int64_t now_ms, struct ptl_login *login,
	struct ptl_refusal *why)
{
	int64_t user_id = 0;
	enum ptl_err e;

	e = ptl_social_link(a, app, p, pr, now_ms, &user_id, why);
	if (e == PTL_OK)
		e = ptl_session_create(a, app, user_id, user_agent, ip, now_ms,
				       &login->session_id, &login->hash);
	if (e == PTL_OK)
		e = ptl_account_get(a, app, user_id, &login->user);
	if (e == PTL_ERR_NOT_FOUND)
		return ptl_refusal_field(why, "user", "userNotFound");
	if (e == PTL_OK)
		ptl_audit_record(app, PTL_AUDIT_SIGNIN_SOCIAL, user_id,
				 login->session_id, names[p], now_ms);
	return e;
}

/* The audit row of a refused social sign-in: the provider and a fixed
 * word of why. */
static void
audit_refusal(struct ptl_arena *a, struct ptl_app *app,
	      enum ptl_social_provider p, const char *reason, int64_t now_ms)
{
	PTL_LOG_SEC("social sign-in (%s) refused: %s", names[p], reason);
	ptl_audit_record(app, PTL_AUDIT_SIGNIN_SOCIAL_FAILED, 0, 0,
			 ptl_mem_printf(a, "%s %s", names[p], reason), now_ms);
}

enum ptl_err
ptl_social_token_login(struct ptl_arena *a, struct ptl_app *app,
		       const struct ptl_social_login *in, int64_t now_ms,
		       struct ptl_login *login, struct ptl_refusal *why)
{
	const char *missing;
	struct ptl_social_profile pr;
	enum ptl_err e;

	ptl_refusal_clear(why);
	memset(login, 0, sizeof(*login));
	missing = ptl_social_missing(a, &app->cfg, in->provider, false);
	if (missing != NULL)
		return not_configured(a, missing, why);
	e = token_profile(a, app, in, now_ms, &pr);
	if (e == PTL_ERR_UNAUTHORIZED) {
		audit_refusal(a, app, in->provider, "wrongToken", now_ms);
		return ptl_refusal_field(why, "user", "wrongToken");
	}
	if (e != PTL_OK) {
		audit_refusal(a, app, in->provider, "providerUnavailable",
			      now_ms);
		return e;
	}
	e = sign_in(a, app, in->provider, &pr, in->user_agent, in->ip, now_ms,
		    login, why);
	if (e == PTL_ERR_VALIDATION)
		audit_refusal(a, app, in->provider, why->key, now_ms);
	return e;
}

/* --- the redirect flow ---------------------------------------------------- */

/* n random bytes in base64url (RFC 7636 §4.1: 32 bytes give a verifier of
 * 43 characters). Arena-owned. */
static char *
random_b64(struct ptl_arena *a, size_t n)
{
	unsigned char raw[32];
	struct ptl_buf b;

	ptl_crypto_random(raw, n);
	ptl_buf_init(&b, a, 64, 64);
	ptl_buf_b64url(&b, raw, n);
	ptl_crypto_wipe(raw, sizeof(raw));
	return b.data;
}

static char *
challenge_of(struct ptl_arena *a, const char *verifier)
{
	unsigned char d[PTL_CRYPTO_DIGEST_LEN];
	struct ptl_buf b;

	ptl_crypto_sha256(d, verifier, strlen(verifier));
	ptl_buf_init(&b, a, 64, 64);
	ptl_buf_b64url(&b, d, sizeof(d));
	return b.data;
}

static const char *
authorize_url(const struct ptl_cfg *cfg, enum ptl_social_provider p)
{
	switch (p) {
	case PTL_SOCIAL_GOOGLE:
		return cfg->google_authorize_url;
	case PTL_SOCIAL_FACEBOOK:
		return cfg->facebook_authorize_url;
	default:
		return cfg->github_authorize_url;
	}
}

static const char *
client_id(const struct ptl_cfg *cfg, enum ptl_social_provider p)
{
	switch (p) {
	case PTL_SOCIAL_GOOGLE:
		return cfg->google_client_id;
	case PTL_SOCIAL_FACEBOOK:
		return cfg->facebook_app_id;
	default:
		return cfg->github_client_id;
	}
}

static const char *
client_secret(const struct ptl_cfg *cfg, enum ptl_social_provider p)
{
	switch (p) {
	case PTL_SOCIAL_GOOGLE:
		return cfg->google_client_secret;
	case PTL_SOCIAL_FACEBOOK:
		return cfg->facebook_app_secret;
	default:
		return cfg->github_client_secret;
	}
}

static const char *const scopes[PTL_SOCIAL__MAX] = {
    [PTL_SOCIAL_GOOGLE] = "openid email profile",
    [PTL_SOCIAL_FACEBOOK] = "email public_profile",
    [PTL_SOCIAL_GITHUB] = "read:user user:email",
};

/* BACKEND_DOMAIN/api/v1/auth/<provider>/callback (trailing '/' of the
 * setting dropped). Arena-owned. */
static char *
callback_url(struct ptl_arena *a, const struct ptl_cfg *cfg,
	     enum ptl_social_provider p)
{
	size_t len = strlen(cfg->backend_domain);

	while (len > 0 && cfg->backend_domain[len - 1] == '/')
		len--;
	return ptl_mem_printf(a, "%.*s/api/v1/auth/%s/callback", (int)len,
			      cfg->backend_domain, names[p]);
}

static void
query_param(struct ptl_buf *b, const char *name, const char *value)
{
	ptl_buf_adds(
	    b, b->len == 0 || memchr(b->data, '?', b->len) == NULL ? "?" : "&");
	ptl_buf_adds(b, name);
	ptl_buf_addc(b, '=');
	ptl_buf_urlencode(b, value, strlen(value));
}

enum ptl_err
ptl_social_prune(struct ptl_app *app, int64_t now_ms, int64_t *removed)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_OAUTH_STATE_PRUNE);
	enum ptl_err e;

	ptl_db_bind_int(st, 1, now_ms);
	ptl_db_bind_int(st, 2, 1000);
	e = ptl_db_exec(st);
	*removed = e == PTL_OK ? ptl_db_changes(app->db) : 0;
	return e;
}

static enum ptl_err
store_state(struct ptl_app *app, enum ptl_social_provider p, const char *state,
	    const char *target, const char *verifier, const char *nonce,
	    const char *browser, int64_t now_ms)
{
	unsigned char sh[PTL_CRYPTO_DIGEST_LEN], bh[PTL_CRYPTO_DIGEST_LEN];
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_OAUTH_STATE_INSERT);

	ptl_crypto_digest(sh, state, strlen(state));
	ptl_crypto_digest(bh, browser, strlen(browser));
	ptl_db_bind_blob(st, 1, sh, sizeof(sh));
	ptl_db_bind_textz(st, 2, names[p]);
	ptl_db_bind_textz(st, 3, target);
	ptl_db_bind_textz(st, 4, verifier);
	ptl_db_bind_textz(st, 5, nonce);
	ptl_db_bind_blob(st, 6, bh, sizeof(bh));
	ptl_db_bind_int(st, 7, now_ms);
	ptl_db_bind_int(st, 8, now_ms + PTL_SOCIAL_STATE_TTL_MS);
	return ptl_db_exec(st);
}

enum ptl_err
ptl_social_authorize(struct ptl_arena *a, struct ptl_app *app,
		     enum ptl_social_provider p, const char *target,
		     int64_t now_ms, struct ptl_social_started *out,
		     struct ptl_refusal *why)
{
	const struct ptl_cfg *cfg = &app->cfg;
	const char *missing, *state, *verifier, *nonce = NULL;
	struct ptl_buf b;
	int64_t pruned;
	enum ptl_err e;

	ptl_refusal_clear(why);
	memset(out, 0, sizeof(*out));
	if (p == PTL_SOCIAL_APPLE || (unsigned)p >= PTL_SOCIAL__MAX)
		return PTL_ERR_NO_ROUTE;
	missing = ptl_social_missing(a, cfg, p, true);
	if (missing != NULL)
		return not_configured(a, missing, why);
	/* Expired rows go first: what a client can make us store is bounded
	 * by the route's rate limit over ten minutes. */
	e = ptl_social_prune(app, now_ms, &pruned);
	if (e != PTL_OK)
		return e;
	state = random_b64(a, 32);
	verifier = random_b64(a, 32);
	out->browser = random_b64(a, 32);
	if (p == PTL_SOCIAL_GOOGLE)
		nonce = random_b64(a, 24);
	e = store_state(app, p, state, target, verifier, nonce, out->browser,
			now_ms);
	if (e != PTL_OK)
		return e;
	ptl_buf_init(&b, a, 512, 8192);
	ptl_buf_adds(&b, authorize_url(cfg, p));
	query_param(&b, "response_type", "code");
	query_param(&b, "client_id", client_id(cfg, p));
	query_param(&b, "redirect_uri", callback_url(a, cfg, p));
	query_param(&b, "scope", scopes[p]);
	query_param(&b, "state", state);
	query_param(&b, "code_challenge", challenge_of(a, verifier));
	query_param(&b, "code_challenge_method", "S256");
	if (nonce != NULL)
		query_param(&b, "nonce", nonce);
	if (b.overflow)
		return PTL_ERR_INTERNAL;
	out->location = b.data;
	return PTL_OK;
}

/* What a state's row held. Arena-owned. */
struct state_row {
	bool found;
	const char *provider, *redirect, *verifier, *nonce;
	unsigned char browser[PTL_CRYPTO_DIGEST_LEN];
	bool browser_ok;
	int64_t expires_at;
};

static char *
dup_col(struct ptl_arena *a, struct ptl_stmt *st, int col)
{
	const char *s = ptl_db_text(st, col);

	return s != NULL ? ptl_mem_strdup(a, s) : NULL;
}

/* Deletes the row of state, returning what it held: a state is spent by
 * its first callback, whatever comes of it. */
static enum ptl_err
take_state(struct ptl_arena *a, struct ptl_app *app, const char *state,
	   struct state_row *r)
{
	unsigned char sh[PTL_CRYPTO_DIGEST_LEN];
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_OAUTH_STATE_TAKE);
	const void *blob;
	size_t len = 0;
	enum ptl_err e;

	memset(r, 0, sizeof(*r));
	ptl_crypto_digest(sh, state, strlen(state));
	ptl_db_bind_blob(st, 1, sh, sizeof(sh));
	e = ptl_db_step(st, &r->found);
	if (e == PTL_OK && r->found) {
		r->provider = dup_col(a, st, PTL_COL_OAUTH_STATE_PROVIDER);
		r->redirect = dup_col(a, st, PTL_COL_OAUTH_STATE_REDIRECT);
		r->verifier = dup_col(a, st, PTL_COL_OAUTH_STATE_VERIFIER);
		r->nonce = dup_col(a, st, PTL_COL_OAUTH_STATE_NONCE);
		r->expires_at = ptl_db_int(st, PTL_COL_OAUTH_STATE_EXPIRES_AT);
		blob = ptl_db_blob(st, PTL_COL_OAUTH_STATE_BROWSER, &len);
		r->browser_ok = blob != NULL && len == sizeof(r->browser);
		if (r->browser_ok)
			memcpy(r->browser, blob, len);
	}
	ptl_db_done(st);
	return e;
}

/* Whether the row is this provider's, alive, and this browser's. */
static bool
state_ok(const struct state_row *r, const struct ptl_social_callback *in,
	 int64_t now_ms)
{
	unsigned char bh[PTL_CRYPTO_DIGEST_LEN];

	if (!r->found || r->provider == NULL || r->verifier == NULL ||
	    strcmp(r->provider, names[in->provider]) != 0 ||
	    r->expires_at <= now_ms || !r->browser_ok || in->browser == NULL ||
	    strlen(in->browser) > STATE_MAX)
		return false;
	ptl_crypto_digest(bh, in->browser, strlen(in->browser));
	return ptl_crypto_equal(bh, r->browser, sizeof(bh));
}

static const char *
token_url(const struct ptl_app *app, struct ptl_arena *a,
	  enum ptl_social_provider p)
{
	switch (p) {
	case PTL_SOCIAL_GOOGLE:
		return app->cfg.google_token_url;
	case PTL_SOCIAL_FACEBOOK:
		return ptl_mem_printf(a, "%s/v23.0/oauth/access_token",
				      app->cfg.facebook_graph_url);
	default:
		return app->cfg.github_token_url;
	}
}

static void
form_param(struct ptl_buf *b, const char *name, const char *value)
{
	if (b->len > 0)
		ptl_buf_addc(b, '&');
	ptl_buf_adds(b, name);
	ptl_buf_addc(b, '=');
	ptl_buf_urlencode(b, value, strlen(value));
}

/* The code exchange (RFC 6749 §4.1.3, RFC 7636 §4.5). OUT access, and
 * for Google OUT id_token. */
static enum ptl_err
exchange(struct ptl_arena *a, const struct ptl_app *app,
	 const struct ptl_social_callback *in, const struct state_row *r,
	 const char **access, const char **id_token)
{
	const struct ptl_cfg *cfg = &app->cfg;
	struct ptl_json *root;
	struct ptl_buf f;
	enum ptl_err e;

	ptl_buf_init(&f, a, 1024, 16384);
	form_param(&f, "grant_type", "authorization_code");
	form_param(&f, "code", in->code);
	form_param(&f, "redirect_uri", callback_url(a, cfg, in->provider));
	form_param(&f, "client_id", client_id(cfg, in->provider));
	form_param(&f, "client_secret", client_secret(cfg, in->provider));
	form_param(&f, "code_verifier", r->verifier);
	if (f.overflow)
		return PTL_ERR_UNAUTHORIZED;
	e = provider_call(a, app, token_url(app, a, in->provider), f.data, NULL,
			  NULL, &root);
	if (e != PTL_OK)
		return e;
	*access = bounded(root, "access_token", TOKEN_MAX);
	*id_token = bounded(root, "id_token", TOKEN_MAX);
	if (*access == NULL || !token_chars(*access, TOKEN_MAX) ||
	    (in->provider == PTL_SOCIAL_GOOGLE && *id_token == NULL))
		return PTL_ERR_UNAUTHORIZED;
	return PTL_OK;
}

static enum ptl_err
callback_profile(struct ptl_arena *a, const struct ptl_app *app,
		 const struct ptl_social_callback *in,
		 const struct state_row *r, int64_t now_ms,
		 struct ptl_social_profile *pr)
{
	const char *access = NULL, *id_token = NULL;
	enum ptl_err e = exchange(a, app, in, r, &access, &id_token);

	if (e != PTL_OK)
		return e;
	switch (in->provider) {
	case PTL_SOCIAL_GOOGLE:
		/* The nonce of the state binds the ID token to this flow. */
		return id_token_profile(a, app, in->provider, id_token,
					r->nonce != NULL ? r->nonce : "",
					now_ms, pr);
	case PTL_SOCIAL_FACEBOOK:
		return facebook_profile(a, app, access, pr);
	default:
		return github_profile(a, app, access, pr);
	}
}

static enum ptl_err
landing_error(struct ptl_arena *a, struct ptl_app *app,
	      const struct ptl_social_callback *in,
	      struct ptl_social_landing *out, const char *key, int64_t now_ms)
{
	audit_refusal(a, app, in->provider, key, now_ms);
	out->error = key;
	return PTL_ERR_VALIDATION;
}

enum ptl_err
ptl_social_callback(struct ptl_arena *a, struct ptl_app *app,
		    const struct ptl_social_callback *in, int64_t now_ms,
		    struct ptl_social_landing *out)
{
	struct ptl_social_profile pr;
	struct ptl_refusal why;
	struct state_row r;
	const char *missing;
	enum ptl_err e;

	memset(out, 0, sizeof(*out));
	ptl_refusal_clear(&why);
	if (in->state == NULL || !token_chars(in->state, STATE_MAX))
		return landing_error(a, app, in, out, "invalidState", now_ms);
	e = take_state(a, app, in->state, &r);
	if (e != PTL_OK) {
		out->error = "serverError";
		return e;
	}
	if (r.found)
		out->target = r.redirect;
	if (!state_ok(&r, in, now_ms))
		return landing_error(a, app, in, out, "invalidState", now_ms);
	if (in->error != NULL)
		return landing_error(a, app, in, out, "accessDenied", now_ms);
	missing = ptl_social_missing(a, &app->cfg, in->provider, true);
	if (missing != NULL)
		return landing_error(
		    a, app, in, out,
		    ptl_mem_printf(a, "providerNotConfigured:%s", missing),
		    now_ms);
	if (in->code == NULL || !token_chars(in->code, CODE_MAX))
		return landing_error(a, app, in, out, "wrongToken", now_ms);
	e = callback_profile(a, app, in, &r, now_ms, &pr);
	if (e == PTL_ERR_UNAUTHORIZED)
		return landing_error(a, app, in, out, "wrongToken", now_ms);
	if (e != PTL_OK)
		return landing_error(a, app, in, out, "providerUnavailable",
				     now_ms);
	e = sign_in(a, app, in->provider, &pr, in->user_agent, in->ip, now_ms,
		    &out->login, &why);
	if (e == PTL_ERR_VALIDATION)
		return landing_error(a, app, in, out, why.key, now_ms);
	if (e != PTL_OK)
		out->error = "serverError";
	return e;
}

const char *
ptl_social_linked(struct ptl_arena *a, struct ptl_app *app, int64_t user_id)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_IDENTITY_LIST);
	struct ptl_buf b;
	bool row = false;

	ptl_buf_init(&b, a, 64, 1024);
	ptl_db_bind_int(st, 1, user_id);
	while (ptl_db_step(st, &row) == PTL_OK && row) {
		const char *p = ptl_db_text(st, PTL_COL_IDENTITY_LIST_PROVIDER);

		if (p == NULL)
			continue;
		if (b.len > 0)
			ptl_buf_addc(&b, ',');
		ptl_buf_adds(&b, p);
	}
	ptl_db_done(st);
	return b.len > 0 && !b.overflow ? b.data : NULL;
}
