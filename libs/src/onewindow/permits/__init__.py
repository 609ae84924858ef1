"""The permit kernel: what the work-permit and residence-permit services share.

A permit service keeps only its rules (assessment, policy data, reasons), its own
events and the few lines that make its permit different. Everything else is here:

- `permit`: the aggregate's reservation lifecycle (reserve, issue, cancel → released or
  revoked, renew, expire, lapse on issue, an officer's decision) as a base class;
- `events`: the lifecycle's stored events and the bases a service extends;
- `service`: the use cases every permit has and the decide-and-allocate step;
- `publication`: stored events to integration events, by name;
- `commands`: the command subscription, each command to the use case named for it;
- `preview`: a dry run of an assessment (the gateway's pre-check asks it over HTTP);
- `ports`, `mongo_numbers`, `mongo_reservations`, `expiry`, `bootstrap`: the plumbing;
- `numbers`, `dates`: permit numbers and calendar arithmetic in the rules' words.
"""
