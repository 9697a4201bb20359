"""What reviewers read: plan diffs, comparisons with a git ref, graphs, the PR comment and the access report."""
