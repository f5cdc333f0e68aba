// SPDX-License-Identifier: ISC
// The wrapper config of script/frontend-e2e: the reference frontend's own
// playwright.config.ts, unchanged, with only what this machine needs
// overridden, since Playwright has no setting in the environment for them:
//
//  - the browser: Debian's Chromium (FRONTEND_E2E_CHROMIUM, default
//    /usr/bin/chromium) as every project's executablePath, since
//    Playwright's own browser builds cannot be downloaded here;
//  - the web server: `next start -H 127.0.0.1 -p 3000` of the build that
//    script/frontend-e2e made just before (the same `next build` as their
//    CI's `npm run build:e2e`, its settings given in the environment rather
//    than copied into .env.local), since their `next start` listens on
//    every interface and ours listen on loopback only. Its URL, timeout and
//    reuseExistingServer are theirs;
//  - the paths that Playwright resolves against the config's folder
//    (testDir, outputDir, the web server's cwd), which is no longer theirs.
//
// Everything else (retries and workers under CI=1, timeouts, baseURL,
// trace, the device, the tests themselves) is theirs. The reporter is
// chosen on the command line (--reporter), which Playwright allows.
"use strict";

const path = require("path");

const checkout = process.env.FRONTEND_E2E_CHECKOUT;
if (!checkout || !path.isAbsolute(checkout))
	throw new Error("FRONTEND_E2E_CHECKOUT must name the frontend's checkout (absolute)");
const chromium = process.env.FRONTEND_E2E_CHROMIUM || "/usr/bin/chromium";
const out = process.env.FRONTEND_E2E_OUT || path.join(checkout, "test-results");

// Their config reads .env.local relative to the working directory, which
// script/frontend-e2e makes the checkout.
const theirs = require(path.join(checkout, "playwright.config.ts"));
const base = theirs.default || theirs;

function withChromium(project) {
	const use = project.use || {};
	return {
		...project,
		use: {
			...use,
			launchOptions: {
				...(use.launchOptions || {}),
				executablePath: chromium,
			},
		},
	};
}

const server = base.webServer || {};

module.exports = {
	...base,
	testDir: path.resolve(checkout, base.testDir || "."),
	outputDir: out,
	projects: (base.projects || [{ name: "chromium" }]).map(withChromium),
	webServer: {
		...server,
		command: "npx next start -H 127.0.0.1 -p 3000",
		cwd: checkout,
	},
};
