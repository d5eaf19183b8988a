package capgate.token.issue_test

import data.capgate.token.issue

defaults := {"max_token_ttl": {"seconds": 3600}, "mfa": {"required": false}}

strict_tenant := {
	"id": "acme",
	"capabilities": {"max_token_ttl": {"seconds": 900}, "mfa": {"required": true}},
	"features": {"mfa": true},
}

relaxed_tenant := {"id": "globex", "capabilities": {}, "features": {}}

enrolled_user := {"id": "u-alice", "tenant_id": "acme", "capabilities": {"mfa": {"status": "enrolled"}, "totp": {"status": "enrolled"}}}

new_user := {"id": "u-bob", "tenant_id": "acme", "capabilities": {}}

globex_user := {"id": "u-carol", "tenant_id": "globex", "capabilities": {}}

req(tenant, user, methods) := {"tenant_id": tenant, "user_id": user, "token_type": "access", "auth": {"methods": methods}}

test_ttl_defaults_to_catalog_limit if {
	r := issue with input as {"request": req("globex", "u-carol", ["pwd"]), "tenant": relaxed_tenant, "user": globex_user, "defaults": defaults}
	r.allow == true
	r.ttl_seconds == 3600
	r.reasons == set()
}

test_requested_ttl_is_clamped_to_tenant_limit if {
	request := object.union(req("acme", "u-alice", ["pwd", "totp"]), {"requested_ttl_seconds": 7200})
	r := issue with input as {"request": request, "tenant": strict_tenant, "user": enrolled_user, "defaults": defaults}
	r.allow == true
	r.ttl_seconds == 900
}

test_shorter_request_is_kept if {
	request := object.union(req("acme", "u-alice", ["pwd", "totp"]), {"requested_ttl_seconds": 60})
	r := issue with input as {"request": request, "tenant": strict_tenant, "user": enrolled_user, "defaults": defaults}
	r.ttl_seconds == 60
}

test_mfa_required_without_second_factor if {
	r := issue with input as {"request": req("acme", "u-alice", ["pwd"]), "tenant": strict_tenant, "user": enrolled_user, "defaults": defaults}
	r.allow == false
	r.reasons == {"mfa_required"}
	r.mfa == {"required": true, "satisfied": false, "enrolled": true, "methods": {"totp"}}
}

test_unenrolled_user_must_enroll if {
	r := issue with input as {"request": req("acme", "u-bob", ["pwd"]), "tenant": strict_tenant, "user": new_user, "defaults": defaults}
	r.allow == false
	r.reasons == {"mfa_enrollment_required", "mfa_required"}
	r.mfa.enrolled == false
}

test_mfa_satisfied_with_totp if {
	r := issue with input as {"request": req("acme", "u-alice", ["pwd", "totp"]), "tenant": strict_tenant, "user": enrolled_user, "defaults": defaults}
	r.allow == true
	r.mfa.satisfied == true
}

test_unknown_tenant if {
	r := issue with input as {"request": req("nope", "u-alice", ["pwd"]), "tenant": null, "user": null, "defaults": defaults}
	r.allow == false
	r.reasons == {"unknown_tenant"}
	not r.ttl_seconds
}

test_unknown_user if {
	r := issue with input as {"request": req("acme", "u-nobody", ["pwd"]), "tenant": strict_tenant, "user": null, "defaults": defaults}
	r.allow == false
	r.reasons == {"unknown_user"}
}

test_user_of_another_tenant_is_unknown if {
	r := issue with input as {"request": req("acme", "u-carol", ["pwd"]), "tenant": strict_tenant, "user": globex_user, "defaults": defaults}
	r.allow == false
	r.reasons == {"unknown_user"}
}
