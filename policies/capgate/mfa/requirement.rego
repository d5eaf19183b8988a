# METADATA
# title: mfa.requirement
# description: Must this user pass MFA, is the user enrolled, and with which methods?
# entrypoint: true
package capgate.mfa.requirement

import data.capgate.lib

default allow := false

allow if lib.user_known

reasons contains "unknown_tenant" if not lib.tenant_known

reasons contains "unknown_user" if {
	lib.tenant_known
	not lib.user_known
}

required := lib.mfa_required if lib.tenant_known

enrolled := lib.mfa_enrolled if lib.user_known

methods := lib.enrolled_methods if lib.user_known
