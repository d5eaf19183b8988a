package capgate.token.validate_test

import data.capgate.token.validate

defaults := {"max_token_ttl": {"seconds": 3600}, "mfa": {"required": false}}

strict_tenant := {"id": "acme", "capabilities": {"max_token_ttl": {"seconds": 900}, "mfa": {"required": true}}, "features": {"mfa": true}}

relaxed_tenant := {"id": "globex", "capabilities": {}, "features": {}}

now := 1700000000

now_ns := now * 1000000000

token(claims) := {"verified": true, "claims": claims}

check(tenant, tok) := r if {
	r := validate with input as {"request": {"tenant_id": tenant.id}, "tenant": tenant, "token": tok, "defaults": defaults}
		with time.now_ns as now_ns
}

test_fresh_token_is_accepted if {
	r := check(relaxed_tenant, token({"iat": now - 10, "exp": now + 600, "amr": ["pwd"]}))
	r.allow == true
	r.reasons == set()
}

test_expired_token if {
	r := check(relaxed_tenant, token({"iat": now - 700, "exp": now - 100, "amr": ["pwd"]}))
	r.allow == false
	r.reasons == {"expired"}
}

test_clock_tolerance if {
	r := validate with input as {
		"request": {"tenant_id": "globex"}, "tenant": relaxed_tenant, "defaults": defaults,
		"token": token({"iat": now - 700, "exp": now - 5}), "config": {"clock_tolerance_seconds": 30},
	}
		with time.now_ns as now_ns
	r.allow == true
}

test_ttl_longer_than_tenant_limit if {
	r := check(strict_tenant, token({"iat": now - 10, "exp": now + 3590, "amr": ["pwd", "otp"]}))
	r.allow == false
	r.reasons == {"ttl_exceeds_limit"}
}

test_mfa_required_by_tenant if {
	r := check(strict_tenant, token({"iat": now - 10, "exp": now + 600, "amr": ["pwd"]}))
	r.reasons == {"mfa_required"}
}

test_unverified_token if {
	r := check(relaxed_tenant, {"verified": false, "error": "signature verification failed"})
	r.allow == false
	r.reasons == {"invalid_token"}
}

test_token_for_another_tenant if {
	r := check(relaxed_tenant, token({"iat": now - 10, "exp": now + 600, "tenant_id": "acme"}))
	r.reasons == {"tenant_mismatch"}
}

test_unknown_tenant if {
	r := validate with input as {"request": {"tenant_id": "nope"}, "tenant": null, "token": token({"iat": now, "exp": now + 60}), "defaults": defaults}
		with time.now_ns as now_ns
	r.allow == false
	"unknown_tenant" in r.reasons
}
