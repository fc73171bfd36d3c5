"""Which indexes the dossiers carry. On SecantusDB every update of a ~14 KB dossier deletes and rewrites every
entry of every index, whatever fields it touches (~0.2 ms of the database's CPU per index per update:
docs/BENCHMARKS.md), so an index is added here only for a read that cannot select its ids on the rows or the
queue entries (app.dossiers.rows) and read the dossiers by _id."""

from app.dossiers.models import Dossier

EXPECTED = {
    (("_id", 1),),
    (("applicant_id", 1), ("batch_id", 1)),                 # unique; an applicant's own list too
    (("applicant_name", 1),),                               # the public list's search by name, a person's audit
    (("id_number", 1),),                                    # a person's audit, an expert's conflicts
    (("status", 1), ("publicity.starts_on", -1)),           # the public 公示名单
    (("attachments.file.file_id", 1),),                     # whether a stored file is still in use
    (("snapshots.attachments.file.file_id", 1),),
    (("certificate.number", 1),),                           # unique; verifying a certificate
    (("replaced_certificates.number", 1),),                 # verifying a replaced certificate
}


async def test_the_dossiers_carry_these_indexes_and_no_other(client):
    held = await Dossier.get_pymongo_collection().index_information()
    assert {tuple((field, int(direction)) for field, direction in index["key"]) for index in held.values()} == EXPECTED


def test_the_model_declares_them():
    declared = {tuple((field, int(direction)) for field, direction in model.document["key"].items())
                for model in Dossier.Settings.indexes}
    assert declared | {(("_id", 1),)} == EXPECTED


async def test_whether_a_file_is_still_used_reads_each_file_index(client):
    """Deleting an attachment's file first asks whether a dossier's attachments or snapshots still name it: one
    read per field on its index (a `$or` of the two is a collection scan on SecantusDB)."""
    from bson import ObjectId

    from app.dossiers import attachments
    from tests import plans

    unused = ObjectId()         # no such file: deleting it is harmless (app.files.service.delete_file)
    assert await plans.explained(lambda: attachments._discard(unused), "a file in use", ("dossiers",)) == 2
