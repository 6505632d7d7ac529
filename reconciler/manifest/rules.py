"""The rule ids that manifest diagnostics carry (`Diagnostic.rule`), one per kind of problem.

Tools filter on them (`--format json`, the Code Quality report) and the tests assert that each
one is produced by at least one broken manifest, so a rule that is listed is a rule that works.
"""

from __future__ import annotations

RULES: dict[str, str] = {
    "encoding": "the file is not UTF-8",
    "file-too-large": "the file is over the size limit",
    "unreadable": "not a regular file (a FIFO, a device) or not readable",
    "symlink-outside": "a symlink leads outside the repository",
    "yaml-syntax": "the text is not valid YAML",
    "yaml-tab": "a tab where YAML wants spaces (indentation)",
    "yaml-unsupported": "YAML features a manifest does not use: tags, merge keys, non-text keys",
    "alias-bomb": "aliases that expand too far",
    "nesting": "collections nested deeper than any manifest needs",
    "document": "the file is empty, holds several documents, or is not a mapping",
    "duplicate-key": "one key twice in one mapping",
    "unknown-key": "a key the manifest language does not have",
    "missing-key": "a required key is missing",
    "type": "a value of the wrong type or not one of the allowed values",
    "version": "version is not 1",
    "platform": "not a known platform nor an https URL ending in /v2",
    "owner-name": "a project or volume id that is not owner/name",
    "file-id": "a file ID that is not 24 hexadecimal characters",
    "selector": "not exactly one of file/path/glob, or glob-only keys on other entries",
    "selector-path": "a path or glob that is empty, absolute, or has ./../empty segments",
    "location": "a location that is empty, absolute, or has bad segments or characters",
    "location-length": "a location over 1024 bytes as written",
    "placeholder": "an unknown or unbalanced placeholder in a location",
    "canned-acl": "an unknown S3 canned ACL",
    "storage-class": "an unknown S3 storage class",
    "discovery": "an unknown discovery: a glob's files are found by search or list",
    "kms-key": "a KMS key id without sse_algorithm aws:kms (after merging defaults)",
    "missing-volume": "an entry with no volume, and none in defaults",
    "duplicate-destination": "one volume + location declared twice",
    "file-conflict": "one file moved twice, or declared in two projects",
}
