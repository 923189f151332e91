"""Collections (notice 4.3): cases the batch opens when a loan falls overdue and closes when it
performs again, is repaid, renewed or written off; the officer's actions with the village
committee, the first secretary and the work team; promises to pay; a work queue for the day."""
