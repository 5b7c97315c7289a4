// Test-only: evaluate polkit JavaScript rules files the way polkitd does,
// for tests/integration/recipes.sh.  polkit.addRule() collects functions;
// for an authorization check they run in order and the first that returns
// something other than NOT_HANDLED (null or undefined) decides.  The
// files run in a fresh context with only the polkit object, as in polkitd
// (no require, no process).
//
// usage: node polkit-eval.js ACTION_ID USER DETAILS_JSON RULES_FILE...
// prints the result ("yes", "no", "auth_admin", ... or "not_handled").
'use strict';
const fs = require('fs');
const vm = require('vm');

const [actionId, user, detailsJson, ...files] = process.argv.slice(2);
if (files.length === 0) {
	console.error('usage: node polkit-eval.js ACTION_ID USER DETAILS_JSON RULES_FILE...');
	process.exit(64);
}
const details = JSON.parse(detailsJson);
const rules = [];
const polkit = {
	Result: {
		NO: 'no',
		YES: 'yes',
		AUTH_SELF: 'auth_self',
		AUTH_SELF_KEEP: 'auth_self_keep',
		AUTH_ADMIN: 'auth_admin',
		AUTH_ADMIN_KEEP: 'auth_admin_keep',
		NOT_HANDLED: null,
	},
	addRule(f) { rules.push(f); },
	addAdminRule() {},
	log(msg) { console.error('polkit.log: ' + msg); },
	spawn() { throw new Error('polkit.spawn is not emulated'); },
};
const context = vm.createContext({ polkit });
for (const f of files) {
	vm.runInContext(fs.readFileSync(f, 'utf8'), context, { filename: f });
}
const action = {
	id: actionId,
	lookup(key) { return Object.prototype.hasOwnProperty.call(details, key) ? details[key] : undefined; },
};
const subject = {
	pid: 4242,
	user,
	groups: [user],
	seat: undefined,
	session: undefined,
	local: false,
	active: false,
	isInGroup(g) { return this.groups.indexOf(g) >= 0; },
	isInNetGroup() { return false; },
};
let result = null;
for (const rule of rules) {
	const r = rule(action, subject);
	if (r !== null && r !== undefined) {
		result = r;
		break;
	}
}
console.log(result === null ? 'not_handled' : String(result));
