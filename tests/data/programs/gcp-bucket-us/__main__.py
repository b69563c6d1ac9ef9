"""A bucket in the US multi-region: the provider's European region does not move it."""

import pulumi_gcp as gcp

gcp.storage.Bucket("us-exports", location="US", uniform_bucket_level_access=True)
