// SPDX-License-Identifier: ISC
// Validates an OpenAPI document with @apidevtools/swagger-parser (the
// OpenAPI 3.0 JSON Schema, and every $ref resolved). Prints "valid" or the
// errors, exit 0 or 1. usage: node validate.mjs FILE
import SwaggerParser from "@apidevtools/swagger-parser";

try {
	const api = await SwaggerParser.validate(process.argv[2]);
	console.log("valid: OpenAPI %s, %d paths", api.openapi,
		    Object.keys(api.paths).length);
} catch (err) {
	console.error(String(err.message || err));
	process.exit(1);
}
