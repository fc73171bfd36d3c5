"""The expert library (专家库): expert records, their terms and review commitments, committee rosters,
conflicts of interest and the seeded random draw. It sits below app.committee, which applies a draw to
its meetings and counts the recusals it finds; this package knows meetings only by their id."""
