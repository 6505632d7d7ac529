"""Everything that ties the reconciler to git and GitLab: the audit trail read from git history,
the merge request note, the report files GitLab's merge request widgets read, and adopting
existing aliases into a manifest."""
