"""Planning: the Pulumi program of a spec and its credential-free recording under mocks.

``program`` builds the resources (through ``mapping``), ``recorder`` and ``mocks`` run it under Pulumi's mocks,
``model`` holds the resulting ``Plan``, ``planner`` ties them together. The base layer of the engine: it imports
the spec, the catalogue and the components, never ``review``, ``deploy``, ``scaffold`` or the CLI.
"""
