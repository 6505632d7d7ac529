"""The pure planning core: manifests x live state -> Plan, its saved form and its renderers.

Nothing here does I/O except `io.load_plan` reading a file it is given; nothing imports the
API client, the live reader or the sandbox.
"""
