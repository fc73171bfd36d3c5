"""The committee's work: committees and their rules, review meetings, votes, publicity, certificates."""
