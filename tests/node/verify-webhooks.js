// Verify webhook deliveries as a receiver would, with the official
// Standard Webhooks library (npm standardwebhooks).
//
//   node verify-webhooks.js RECORDS.json SECRET...
//
// RECORDS.json is what taskwatch-sim's sink returns (GET /_sink/NAME): an
// array of {headers, body}.  Each delivery must verify under every SECRET
// on its own (one v1 signature per key), and must be refused once its body
// is changed, once its timestamp is outside the tolerance, and under a key
// it was not signed with.  Prints one line per failure and a summary line
// "verified N of M deliveries"; exits 1 on any failure, 2 on bad usage.
"use strict";
const fs = require("fs");
const crypto = require("crypto");
const { Webhook, WebhookVerificationError } = require("standardwebhooks");

function refused(wh, body, headers, want) {
	try {
		wh.verify(body, headers);
	} catch (e) {
		return e instanceof WebhookVerificationError &&
		    (want === undefined || e.message === want);
	}
	return false;
}

function main() {
	const args = process.argv.slice(2);
	if (args.length < 2) {
		console.error("usage: verify-webhooks.js RECORDS.json SECRET...");
		process.exit(2);
	}
	const records = JSON.parse(fs.readFileSync(args[0], "utf8"));
	const hooks = args.slice(1).map((s) =>
	    s.startsWith("whsec_") ? new Webhook(s) :
	    new Webhook(s, { format: "raw" }));
	const stranger = new Webhook("whsec_" +
	    crypto.randomBytes(24).toString("base64"));
	let good = 0, bad = 0;
	for (const [i, r] of records.entries()) {
		const h = {};
		for (const k of Object.keys(r.headers))
			h[k.toLowerCase()] = r.headers[k];
		const why = [];
		hooks.forEach((wh, k) => {
			try {
				wh.verify(r.body, h);
			} catch (e) {
				why.push(`key ${k + 1}: ${e.message}`);
			}
		});
		if (!refused(hooks[0], r.body + " ", h, "No matching signature found"))
			why.push("a changed body is not refused");
		const old = Object.assign({}, h, {
			"webhook-timestamp": String(Number(h["webhook-timestamp"]) - 6 * 60),
		});
		if (!refused(hooks[0], r.body, old, "Message timestamp too old"))
			why.push("a timestamp 6 minutes old is not refused");
		if (!refused(stranger, r.body, h, "No matching signature found"))
			why.push("another key verifies it");
		if (why.length === 0) {
			good++;
		} else {
			bad++;
			console.log(`delivery ${i} (${h["webhook-id"]}): ${why.join("; ")}`);
		}
	}
	console.log(`verified ${good} of ${records.length} deliveries`);
	process.exit(bad === 0 && records.length > 0 ? 0 : 1);
}

main();
