"""A BigQuery dataset without a location: BigQuery creates it in the US multi-region."""

import pulumi_gcp as gcp

gcp.bigquery.Dataset("analytics", dataset_id="analytics")
