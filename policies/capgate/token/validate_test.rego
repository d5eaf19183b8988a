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

# Time claims: a token from the future, absurd or non-numeric dates are invalid
# tokens, never an evaluation error.

test_issued_ten_years_ahead if {
	iat := now + ((10 * 365) * 86400)
	r := check(relaxed_tenant, token({"iat": iat, "exp": iat + 600}))
	r.allow == false
	r.reasons == {"invalid_token"}
}

test_issued_ahead_within_tolerance if {
	r := validate with input as {
		"request": {"tenant_id": "globex"}, "tenant": relaxed_tenant, "defaults": defaults,
		"token": token({"iat": now + 20, "exp": now + 600}), "config": {"clock_tolerance_seconds": 30},
	}
		with time.now_ns as now_ns
	r.allow == true
}

test_issued_ahead_beyond_tolerance if {
	r := validate with input as {
		"request": {"tenant_id": "globex"}, "tenant": relaxed_tenant, "defaults": defaults,
		"token": token({"iat": now + 31, "exp": now + 600}), "config": {"clock_tolerance_seconds": 30},
	}
		with time.now_ns as now_ns
	r.reasons == {"invalid_token"}
}

test_absurd_dates if {
	r := check(relaxed_tenant, token({"iat": 1e308, "exp": 1e308}))
	r.allow == false
	r.reasons == {"invalid_token"}
}

test_negative_date if {
	r := check(relaxed_tenant, token({"iat": -5, "exp": now + 600}))
	r.reasons == {"invalid_token"}
}

test_string_exp if {
	r := check(relaxed_tenant, token({"iat": now - 10, "exp": "9999999999"}))
	r.allow == false
	r.reasons == {"invalid_token"}
}

test_string_iat_on_strict_tenant if {
	r := check(strict_tenant, token({"iat": "yesterday", "exp": now + 600, "amr": ["otp"]}))
	r.reasons == {"invalid_token"}
}

test_missing_iat if {
	r := check(relaxed_tenant, token({"exp": now + 600}))
	r.reasons == {"invalid_token"}
}

test_string_nbf if {
	r := check(relaxed_tenant, token({"iat": now - 10, "exp": now + 600, "nbf": "now"}))
	r.reasons == {"invalid_token"}
}

test_null_nbf if {
	r := check(relaxed_tenant, token({"iat": now - 10, "exp": now + 600, "nbf": null}))
	r.reasons == {"invalid_token"}
}

test_nbf_ahead_is_not_yet_valid if {
	r := check(relaxed_tenant, token({"iat": now - 10, "exp": now + 600, "nbf": now + 300}))
	r.reasons == {"not_yet_valid"}
}
