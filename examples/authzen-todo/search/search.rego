# AuthZEN searches over the todo scenario's users: which users may do an
# action on a resource (subject search), and which actions a user may do on a
# resource (action search). capgate advertises and serves only the searches
# whose entrypoints the bundle has; resources are not data here, so there is
# no resource search.
package authzen.search

# METADATA
# entrypoint: true
subject := [{"type": "user", "id": id} |
	some id in sort(object.keys(data.users))
	data.authzen.decision with input as object.union(input, {"subject": {"type": "user", "id": id}})
]

actions := {a | some role in data.roles; some a in role.any} | {a | some role in data.roles; some a in role.own}

# METADATA
# entrypoint: true
action := [{"name": name} |
	some name in sort(actions)
	data.authzen.decision with input as object.union(input, {"action": {"name": name}})
]
