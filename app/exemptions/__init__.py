"""Due-diligence exemption (尽职免责): cases on non-performing or written-off loans. Above the
features: a case's evidence file is gathered from all of them (the application, its rating,
investigation and decision, the contract, visits, collection, write-off, the audit trail)."""
