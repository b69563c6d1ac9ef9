"""The engine stand-in: what runs inside the program's own process.

Everything in this package imports only the standard library and the ``pulumi`` SDK (with the
``grpc`` and ``protobuf`` it depends on), and imports its siblings relatively: the check loads it
into the project's own interpreter, which need not have Clover installed
(``tests/test_standin_imports.py`` keeps it so).
"""
