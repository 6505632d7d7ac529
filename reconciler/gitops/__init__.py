"""Everything that ties the reconciler to git and GitLab: the audit trail read from git history,
what a change declares against its merge base, the merge request note, the report files
GitLab's merge request widgets read, the plans a merge request showed and what they agree on,
and adopting existing aliases into a manifest."""
