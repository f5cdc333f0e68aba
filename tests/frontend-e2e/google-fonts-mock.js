// SPDX-License-Identifier: ISC
// The Google Fonts answers for the build of the reference frontend
// (script/frontend-e2e): no font CDN is reachable, so next/font/google
// reads its stylesheets from here (NEXT_FONT_GOOGLE_MOCKED_RESPONSES, the
// mechanism Next.js's own tests use) and, since every src below is an
// absolute path, the font files from the disk: Roboto of Debian's
// fonts-roboto-unhinted (static TTFs, one per weight, each covering latin
// and cyrillic). Keys are the exact stylesheet URLs next/font asks for; a
// build asking for another one fails naming it ("Missing mocked response
// for URL: ..."): add it here.
"use strict";

// Where the font files are served during the build: script/frontend-e2e
// serves Debian's folder on loopback and names it here.
const dir = (process.env.FRONTEND_E2E_FONTS_URL ||
	"http://127.0.0.1:8099/").replace(/\/?$/, "/");
const weights = [
	[100, "Thin"],
	[300, "Light"],
	[400, "Regular"],
	[500, "Medium"],
	[700, "Bold"],
	[900, "Black"],
];
// The unicode ranges of Google's own Roboto stylesheet.
const subsets = [
	["cyrillic", "U+0301, U+0400-045F, U+0490-0491, U+04B0-04B1, U+2116"],
	["latin", "U+0000-00FF, U+0131, U+0152-0153, U+02BB-02BC, U+02C6, " +
		"U+02DA, U+02DC, U+0304, U+0308, U+0329, U+2000-206F, U+20AC, " +
		"U+2122, U+2191, U+2193, U+2212, U+2215, U+FEFF, U+FFFD"],
];

function face(subset, range, weight, name, display) {
	return `/* ${subset} */
@font-face {
  font-family: 'Roboto';
  font-style: normal;
  font-weight: ${weight};
  font-stretch: 100%;
  font-display: ${display};
  src: url(${dir}Roboto-${name}.ttf) format('truetype');
  unicode-range: ${range};
}
`;
}

function stylesheet(display) {
	let css = "";
	for (const [subset, range] of subsets)
		for (const [weight, name] of weights)
			css += face(subset, range, weight, name, display);
	return css;
}

const base = "https://fonts.googleapis.com/css2?family=Roboto:wght@100..900";
module.exports = {};
for (const display of ["swap", "auto", "block", "fallback", "optional"])
	module.exports[`${base}&display=${display}`] = stylesheet(display);
