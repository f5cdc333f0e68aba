/* SPDX-License-Identifier: ISC */
/*
 * pages: the server-rendered account pages (API.md §10 item 36), under
 * PAGES_BASE_PATH (default /account/). HTML forms only, no JavaScript.
 *   GET  signin, signup, forgot          the forms (?redirect= kept)
 *   POST signin                          303 to the checked redirect or me,
 *                                        with the cookies of §10.10
 *   POST signup                          303 to signin?done=signedUp (a
 *                                        confirm mail is sent)
 *   POST forgot                          303 to forgot?done=resetSent
 *   GET  password-change?hash=&expires=  the new-password form (opening it
 *                                        spends nothing); POST sets it
 *   GET  confirm-email?hash=, confirm-new-email?hash=  a page whose button
 *                                        POSTs the hash; POST confirms
 *   GET  me; POST me/profile, me/email, me/password   the account (signed in)
 *   GET  me/delete; POST me/delete       the confirmation step, then deletion
 *   GET  devices; POST devices/end (id), devices/others   the sessions
 *   POST signout                         ends this session, clears cookies
 * A refused form is the same page again with 422 (429 when rate limited),
 * each error next to its field and in a summary; a POST without the
 * form's CSRF token or from another origin is 403; a signed-in page
 * without a live access cookie is 303 to signin?redirect=<that page>.
 * Side effects and rules: those of the use cases named by each handler
 * (lib/domain/), the same as the JSON routes. The reasons for rendering
 * here, rather than posting to the JSON API: each field's error comes
 * from the use case's refusal, and nothing is proxied (web/page.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "domain/account.h"
#include "domain/me.h"
#include "domain/password.h"
#include "domain/session.h"
#include "domain/signin.h"
#include "domain/signup.h"
#include "web/form.h"
#include "web/page.h"

/* The longest first or last name the pages take (the JSON routes cap
 * every field at the same size). */
#define NAME_MAX_BYTES 255

/* Puts a query or form value back into the page (v_<name>). */
static void
carry(struct ptl_page *pg, const char *name)
{
	const char *v = ptl_page_field(pg, name);

	if (v != NULL && strlen(v) <= 4096)
		ptl_tmpl_set(pg->scope,
			     ptl_mem_printf(pg->req->arena, "v_%s", name), v);
}

/* --- signing in and up ---------------------------------------------------- */

static enum ptl_err
show_signin(struct ptl_page *pg)
{
	carry(pg, "redirect");
	ptl_page_providers(pg);
	return PTL_OK;
}

static enum ptl_err
post_signin(struct ptl_page *pg)
{
	struct ptl_signin in = {0};
	struct ptl_login login;
	struct ptl_refusal why;
	enum ptl_err e;

	show_signin(pg);
	in.email = ptl_page_email(pg, "email");
	in.password =
	    ptl_page_password(pg, "password", false, &in.password_len);
	if (pg->nerrors > 0)
		return PTL_OK;
	in.user_agent = pg->req->user_agent;
	in.ip = pg->req->ip;
	in.device = ptl_req_cookie(pg->req, PTL_COOKIE_DEVICE);
	e = ptl_signin_email(pg->req->arena, pg->req->app, &in, pg->req->now_ms,
			     &login, &why);
	if (e == PTL_ERR_VALIDATION && why.field2 != NULL) {
		/* The uniform failure names both fields: its words go under
		 * the password, where people look after a failed sign-in. */
		why.field = "password";
		why.field2 = "email";
	}
	if (e != PTL_OK)
		return ptl_page_refusal(pg, e, &why);
	e = ptl_page_sign_in(pg, &login);
	if (e == PTL_OK)
		ptl_page_redirect_back(pg, "me");
	return e;
}

static enum ptl_err
show_plain(struct ptl_page *pg)
{
	(void)pg;
	return PTL_OK;
}

static enum ptl_err
show_signup(struct ptl_page *pg)
{
	ptl_page_providers(pg);
	return PTL_OK;
}

static enum ptl_err
post_signup(struct ptl_page *pg)
{
	struct ptl_signup in = {0};
	struct ptl_refusal why;
	enum ptl_err e;

	show_signup(pg);
	in.first_name = ptl_page_text(pg, "firstName", NAME_MAX_BYTES);
	in.last_name = ptl_page_text(pg, "lastName", NAME_MAX_BYTES);
	in.email = ptl_page_email(pg, "email");
	in.password = ptl_page_password(pg, "password", true, &in.password_len);
	if (pg->nerrors > 0)
		return PTL_OK;
	in.ip = pg->req->ip;
	e = ptl_signup_register(pg->req->arena, pg->req->app, &in,
				pg->req->now_ms, NULL, &why);
	if (e != PTL_OK)
		return ptl_page_refusal(pg, e, &why);
	ptl_page_redirect(pg, "signin", "signedUp");
	return PTL_OK;
}

/* --- the mailed links ----------------------------------------------------- */

static enum ptl_err
post_forgot(struct ptl_page *pg)
{
	struct ptl_refusal why;
	const char *email = ptl_page_email(pg, "email");
	enum ptl_err e;

	if (email == NULL)
		return PTL_OK;
	e = ptl_password_forgot(pg->req->arena, pg->req->app, email,
				pg->req->ip, pg->req->now_ms, &why);
	if (e != PTL_OK)
		return ptl_page_refusal(pg, e, &why);
	ptl_page_redirect(pg, "forgot", "resetSent");
	return PTL_OK;
}

/* The hash of a link (kept in the form), or NULL after an error. */
static const char *
link_hash(struct ptl_page *pg)
{
	const char *hash = ptl_page_field(pg, "hash");

	carry(pg, "hash");
	if (hash == NULL || *hash == '\0' || strlen(hash) > 4096) {
		ptl_page_error(pg, "hash", "invalidHash");
		return NULL;
	}
	return hash;
}

static enum ptl_err
show_reset(struct ptl_page *pg)
{
	const char *expires = ptl_page_field(pg, "expires");
	int64_t ms;

	carry(pg, "expires");
	/* The page itself is there (200), only its link may not be. The
	 * link says when it runs out: say so before anyone types. */
	if (link_hash(pg) != NULL && expires != NULL &&
	    ptl_str_to_i64(expires, strlen(expires), 0, INT64_MAX, &ms) &&
	    ms < pg->req->now_ms)
		ptl_page_error(pg, "hash", "linkExpired");
	pg->status = 200;
	return PTL_OK;
}

static enum ptl_err
post_reset(struct ptl_page *pg)
{
	struct ptl_refusal why;
	const char *hash = link_hash(pg);
	const char *pw;
	size_t len;
	enum ptl_err e;

	carry(pg, "expires");
	pw = ptl_page_password(pg, "password", true, &len);
	if (pg->nerrors > 0)
		return PTL_OK;
	e = ptl_password_reset(pg->req->arena, pg->req->app, hash, pw, len,
			       pg->req->now_ms, &why);
	if (e != PTL_OK)
		return ptl_page_refusal(pg, e, &why);
	ptl_page_redirect(pg, "signin", "passwordReset");
	return PTL_OK;
}

static enum ptl_err
show_confirm(struct ptl_page *pg)
{
	(void)link_hash(pg);
	pg->status = 200;
	return PTL_OK;
}

static enum ptl_err
post_confirm(struct ptl_page *pg)
{
	struct ptl_refusal why;
	const char *hash = link_hash(pg);
	enum ptl_err e;

	if (hash == NULL)
		return PTL_OK;
	e = ptl_signup_confirm(pg->req->arena, pg->req->app, hash,
			       pg->req->now_ms, &why);
	if (e == PTL_ERR_NOT_FOUND) {
		/* Not Inactive any more: most likely confirmed already. */
		ptl_page_error(pg, "hash", "alreadyConfirmed");
		return PTL_OK;
	}
	if (e != PTL_OK)
		return ptl_page_refusal(pg, e, &why);
	ptl_page_redirect(pg, "signin", "emailConfirmed");
	return PTL_OK;
}

static enum ptl_err
post_confirm_new(struct ptl_page *pg)
{
	struct ptl_refusal why;
	const char *hash = link_hash(pg);
	enum ptl_err e;

	if (hash == NULL)
		return PTL_OK;
	e = ptl_signup_confirm_new(pg->req->arena, pg->req->app, hash,
				   pg->req->now_ms, &why);
	if (e == PTL_ERR_NOT_FOUND) {
		ptl_page_error(pg, "hash", "invalidHash");
		return PTL_OK;
	}
	if (e != PTL_OK)
		return ptl_page_refusal(pg, e, &why);
	ptl_page_redirect(pg, "signin", "emailChanged");
	return PTL_OK;
}

/* --- the account ---------------------------------------------------------- */

/* The values of the account page (unless a refused form put its own). */
static void
fill_me(struct ptl_page *pg)
{
	const struct ptl_user *u = pg->user;
	struct ptl_tmpl_scope *s = pg->scope;

	pg->view = "me";
	ptl_tmpl_set(s, "email", u->email);
	ptl_tmpl_set(s, "name_first", u->first_name);
	ptl_tmpl_set(s, "name_last", u->last_name);
	ptl_tmpl_set_bool(s, "inactive",
			  u->status_id != 1 /* Active, API.md §6 */);
	ptl_tmpl_set_bool(s, "has_password",
			  u->provider == NULL ||
			      strcmp(u->provider, "email") == 0);
}

static enum ptl_err
show_me(struct ptl_page *pg)
{
	fill_me(pg);
	return PTL_OK;
}

/* PATCH /me's use case with in; 303 to me?done=done on success. */
static enum ptl_err
update_me(struct ptl_page *pg, const struct ptl_me_patch *in, const char *done)
{
	struct ptl_refusal why;
	struct ptl_user u;
	enum ptl_err e;

	e = ptl_me_update(pg->req->arena, pg->req->app, pg->user->id,
			  pg->session_id, pg->req->ip, in, pg->req->now_ms, &u,
			  &why);
	if (e != PTL_OK)
		return ptl_page_refusal(pg, e, &why);
	ptl_page_redirect(pg, "me", done);
	return PTL_OK;
}

static enum ptl_err
post_profile(struct ptl_page *pg)
{
	struct ptl_me_patch in = {0};

	fill_me(pg);
	in.first_name = ptl_page_text(pg, "firstName", NAME_MAX_BYTES);
	in.last_name = ptl_page_text(pg, "lastName", NAME_MAX_BYTES);
	ptl_tmpl_set(pg->scope, "name_first", in.first_name);
	ptl_tmpl_set(pg->scope, "name_last", in.last_name);
	if (pg->nerrors > 0)
		return PTL_OK;
	in.set_first_name = in.set_last_name = true;
	return update_me(pg, &in, "profileSaved");
}

static enum ptl_err
post_email(struct ptl_page *pg)
{
	struct ptl_me_patch in = {0};

	fill_me(pg);
	in.email = ptl_page_email(pg, "newEmail");
	if (pg->nerrors > 0)
		return PTL_OK;
	return update_me(pg, &in, "emailChangeSent");
}

static enum ptl_err
post_password(struct ptl_page *pg)
{
	struct ptl_me_patch in = {0};

	fill_me(pg);
	in.old_password =
	    ptl_page_password(pg, "oldPassword", false, &in.old_password_len);
	in.password = ptl_page_password(pg, "password", true, &in.password_len);
	if (pg->nerrors > 0)
		return PTL_OK;
	return update_me(pg, &in, "passwordChanged");
}

static enum ptl_err
post_delete(struct ptl_page *pg)
{
	const char *sure = ptl_page_field(pg, "confirm");
	enum ptl_err e;

	if (sure == NULL || strcmp(sure, "yes") != 0) {
		ptl_page_error(pg, "confirm", "confirmDelete");
		return PTL_OK;
	}
	e = ptl_account_delete(pg->req->app, pg->user->id, pg->req->now_ms);
	if (e != PTL_OK)
		return e;
	ptl_page_sign_out(pg);
	ptl_page_redirect(pg, "signin", "accountDeleted");
	return PTL_OK;
}

/* --- devices and signing out ---------------------------------------------- */

static enum ptl_err
show_devices(struct ptl_page *pg)
{
	return ptl_page_devices(pg);
}

static enum ptl_err
post_end_device(struct ptl_page *pg)
{
	const char *id = ptl_page_field(pg, "id");
	int64_t sid = 0;
	enum ptl_err e = PTL_ERR_NOT_FOUND;

	pg->view = "devices";
	if (id != NULL && ptl_str_to_i64(id, strlen(id), 1, INT64_MAX, &sid))
		e = ptl_session_revoke_owned(pg->req->app, sid, pg->user->id,
					     "revoked_by_user",
					     pg->req->now_ms);
	if (e == PTL_ERR_NOT_FOUND) {
		ptl_page_error(pg, "form", "deviceNotFound");
		return ptl_page_devices(pg);
	}
	if (e != PTL_OK)
		return e;
	if (sid == pg->session_id)
		ptl_page_sign_out(pg);
	ptl_page_redirect(pg, sid == pg->session_id ? "signin" : "devices",
			  sid == pg->session_id ? "signedOut" : "deviceEnded");
	return PTL_OK;
}

static enum ptl_err
logout(struct ptl_page *pg, const char *scope, const char *to, const char *done)
{
	struct ptl_refusal why;
	enum ptl_err e;

	e = ptl_session_logout(pg->req->app, pg->user->id, pg->session_id,
			       scope, pg->req->now_ms, &why);
	if (e != PTL_OK)
		return e;
	if (strcmp(scope, "others") != 0)
		ptl_page_sign_out(pg);
	ptl_page_redirect(pg, to, done);
	return PTL_OK;
}

static enum ptl_err
post_end_others(struct ptl_page *pg)
{
	return logout(pg, "others", "devices", "othersEnded");
}

static enum ptl_err
post_signout(struct ptl_page *pg)
{
	return logout(pg, "local", "signin", "signedOut");
}

#define U PTL_PAGE_USER
static const struct ptl_page_route routes[] = {
    {"GET", "signin", 0, show_signin},
    {"POST", "signin", PTL_PAGE_LOGIN, post_signin},
    {"GET", "signup", 0, show_signup},
    {"POST", "signup", 0, post_signup},
    {"GET", "forgot", 0, show_plain},
    {"POST", "forgot", 0, post_forgot},
    {"GET", "password-change", 0, show_reset},
    {"POST", "password-change", 0, post_reset},
    {"GET", "confirm-email", 0, show_confirm},
    {"POST", "confirm-email", 0, post_confirm},
    {"GET", "confirm-new-email", 0, show_confirm},
    {"POST", "confirm-new-email", 0, post_confirm_new},
    {"GET", "me", U, show_me},
    {"POST", "me/profile", U, post_profile},
    {"POST", "me/email", U, post_email},
    {"POST", "me/password", U, post_password},
    {"GET", "me/delete", U, show_plain},
    {"POST", "me/delete", U, post_delete},
    {"GET", "devices", U, show_devices},
    {"POST", "devices/end", U, post_end_device},
    {"POST", "devices/others", U, post_end_others},
    {"POST", "signout", U, post_signout},
};
#undef U

static const struct ptl_page_site site = {"pages", "me", routes,
					  sizeof(routes) / sizeof(routes[0])};

int
main(void)
{
	return ptl_page_main(&site);
}
