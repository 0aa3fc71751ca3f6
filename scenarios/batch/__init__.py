"""Batch validation: uncertain inputs, runs on dask.distributed, the SQLite store, the batch report.

``uncertainty`` (distributions and seeded draws) and ``store`` (SQLite) come first; ``runs``
(the Dask client and worker side, replay) uses both; ``summary`` (statistics of a store) uses
the store; ``report`` (figures, files and HTML) uses the summary.
"""
