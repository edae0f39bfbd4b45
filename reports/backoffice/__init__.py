"""The back office on the Django admin: the admin home's dashboard per role (`dashboard`), the work
queues with their actions (`queues`, `views`). It reads every app below, which is why it sits in
the reports app, the highest domain layer (docs/decisions/0045-back-office-in-reports.md)."""
