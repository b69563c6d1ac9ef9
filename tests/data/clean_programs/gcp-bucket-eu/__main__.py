"""A bucket in the EU multi-region and a dataset in Belgium: every placement is allowed."""

import pulumi_gcp as gcp

gcp.storage.Bucket("eu-exports", location="EU", uniform_bucket_level_access=True)
gcp.bigquery.Dataset("analytics", dataset_id="analytics", location="europe-west1")
