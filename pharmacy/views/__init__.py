"""The pharmacy's pages, split by who works them: the request form (pasante), the request lifecycle
(queue, review, dispatch, receipt) and the warehouse's stock (receipts, counts, stock lists)."""
