"""The permit kernel: what the work-permit and residence-permit services share.

A permit service keeps only its rules (assessment, policy data, reasons), its own
events and the few lines that make its permit different. Everything else is here:

- `permit`: the aggregate's reservation lifecycle (reserve, issue, cancel → released or
  revoked, renew, expire, lapse on issue, an officer's decision) as a base class;
- `events`: the lifecycle's stored events and the bases a service extends;
- `reasons`: the reasons both permits word alike, on a service's side and legal bases;
- `policy`: the versioned policy book a service fills from its `policy_data/`;
- `service`: one command's way through a permit service: the command subscription (each
  command to the use case named for it), the use cases every permit has (the assessment
  among them, as the service decides it), the decide-and-allocate step, and the
  publication of stored events as integration events, by name;
- `preview`: a dry run of an assessment and its internal route (the gateway's pre-check
  asks it over HTTP);
- `ports`, `mongo_numbers`, `mongo_reservations`, `expiry`, `bootstrap`: the plumbing;
- `numbers`, `dates`: permit numbers and calendar arithmetic in the rules' words.
"""
