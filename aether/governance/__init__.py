"""Governance: policy decisions, human approvals and the hash-chained audit ledger.

``policy`` reads the policy file, ``decide`` decides requests, ``approvals`` binds human
decisions to requests, ``ledger`` keeps and verifies the audit chain (the state store,
``aether.store``, keeps it in ``.aether/state.db``), ``dispatcher`` wraps the runtime's dispatcher and
``replay`` re-decides a recorded ledger under another policy.
"""
