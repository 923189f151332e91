"""Long work as jobs: roster and legacy imports, the end-of-day batch, a province's claim
export. A request starts a job (202 and its URL); a worker runs it; the job shows its status,
progress, timings, result and row errors, and who started it. The queue is procrastinate's,
in PostgreSQL: nothing is lost when the API or the worker restarts."""
