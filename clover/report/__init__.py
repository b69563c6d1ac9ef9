"""The residency evidence report: where every resource sits and where its data goes, for auditors.

Built from the same run as ``python -m clover check`` (:func:`clover.check.check`): the program's
resources as the engine would see them at preview, with their effective regions, and the policy
packs' verdicts. From those facts it derives, best effort but never guessing:

- each resource's site, cloud, region and country, and the encryption key that protects it
  (read from its properties, or from the resource its properties depend on when the value itself
  is not known until the resource is created);
- every data flow the program declares: replication (S3 replication, Azure object replication,
  geo-redundant storage, DynamoDB and Cosmos DB replicas, KMS replica keys), backup copies and log
  delivery (VPC flow logs, CloudTrail, S3 server access logs, Azure diagnostic settings), with the
  destination's region when it can be proven and "unknown" when it cannot (fail closed).

:func:`to_json` gives the facts as JSON and :func:`to_html` one self-contained HTML page: inline CSS
and an inline SVG map (Natural Earth borders from clover/assets/, zoomed to the regions in use),
rendered by the jinja2 template clover/report/report_template.html with autoescaping; nothing is
fetched when it is opened.
"""

from clover.report.build import build, render_json, to_json
from clover.report.html import to_html

__all__ = ["build", "render_json", "to_html", "to_json"]
