"""Kubernetes objects: pure builders of the trial Job and SweepTrial (``manifests``), the
reading of a trial's phase from its Job and pods (``observe``), and nothing that talks to
the API server by itself; the handlers do that with these pieces.
"""
