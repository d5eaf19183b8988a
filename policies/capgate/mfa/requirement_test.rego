package capgate.mfa.requirement_test

import data.capgate.mfa.requirement

defaults := {"max_token_ttl": {"seconds": 3600}, "mfa": {"required": false}}

tenant := {"id": "acme", "capabilities": {"mfa": {"required": true}}, "features": {"mfa": true}}

test_required_and_enrolled if {
	user := {"id": "u-alice", "tenant_id": "acme", "capabilities": {"totp": {"status": "enrolled"}}}
	r := requirement with input as {"tenant": tenant, "user": user, "defaults": defaults}
	r.allow == true
	r.required == true
	r.enrolled == true
	r.methods == {"totp"}
}

test_not_required_by_default if {
	user := {"id": "u-carol", "tenant_id": "globex", "capabilities": {}}
	r := requirement with input as {"tenant": {"id": "globex", "capabilities": {}}, "user": user, "defaults": defaults}
	r.required == false
	r.enrolled == false
	r.methods == set()
}

test_unknown_user if {
	r := requirement with input as {"tenant": tenant, "user": null, "defaults": defaults}
	r.allow == false
	r.reasons == {"unknown_user"}
	r.required == true
}
