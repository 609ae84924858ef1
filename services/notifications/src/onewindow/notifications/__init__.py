"""One Window notifications service: bilingual messages and their delivery.

Reads applications.events and tells the applicant (and the employer's contact, and
its webhook) of each step that concerns them, in the applicant's language with the
other one below; a missed deadline goes to the supervisors' address. Mail goes out
by SMTP once per (event, recipient, channel): the intent is recorded first
under a deterministic id, attempts are leased, temporary failures are retried with
backoff by a background loop, and NotificationSent / NotificationFailed go to
notifications.events through the outbox.
"""
