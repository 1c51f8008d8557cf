"""The weekly digest in Slack: the delivery ledger, the message, the run's state machine, the scheduler."""
