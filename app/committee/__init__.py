"""The committee's work: committees and their rules, review meetings, votes, publicity, certificates.

Importing the package (the app does, and so does the database's list of documents) adds the experts
to the dossiers' read scope: dossiers sit below this domain and may not import it."""

from app.committee.scope import EXPERTS
from app.dossiers import scope as _scope

_scope.add_readers(EXPERTS)
