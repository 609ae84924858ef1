"""`make fuzz`: schemathesis against the gateway's OpenAPI, on the real gateway and every
service as their own processes, with valid tokens of every role (security issue 14).

Run from the repository root: `python -m fuzz --help`.
"""
