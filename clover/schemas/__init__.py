"""JSON Schemas of Clover's outputs, shipped with the package (``check-output.schema.json``)."""
