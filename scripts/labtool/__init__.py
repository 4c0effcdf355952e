"""Lab tooling: load generator, chaos experiments and the lab report (python -m labtool.chaos / labtool.report)."""
