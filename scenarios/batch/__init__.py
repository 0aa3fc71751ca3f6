"""Batch validation: uncertain inputs, runs on dask.distributed, the SQLite store, the batch report."""
