"""What a MongoDB update does to a document, computed here rather than read back.

The one write path knows the document its writer read at the version its update is conditioned on; when
that update lands, the document after it is that document with the update applied. Computing it saves the
read after every write (findAndModify would return it, but SecantusDB serves it by scanning the whole
collection). Only the operators the dossier writers use are known; anything else answers None and the
write path reads the document back as before."""

from typing import Any

import bson
from bson.codec_options import CodecOptions


class Unknown(Exception):
    """An operator or a shape this module does not compute: the caller reads the result instead."""


def normalised(value: Any, codec_options: CodecOptions) -> Any:
    """The value as the database stores and answers it (enums become strings, datetimes lose their
    microseconds, tuples become lists, ObjectId subclasses plain ObjectIds)."""
    return bson.decode(bson.encode({"v": value}, codec_options=codec_options), codec_options=codec_options)["v"]


def _parent(doc: dict, path: str, *, create: bool) -> tuple[Any, str | int]:
    parts = path.split(".")
    node: Any = doc
    for part in parts[:-1]:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and isinstance(node.get(part), (dict, list)):
            node = node[part]
        elif isinstance(node, dict) and part not in node and create:
            node[part] = {}
            node = node[part]
        else:
            raise Unknown(path)
    last = parts[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise Unknown(path)
        return node, int(last)
    if not isinstance(node, dict):
        raise Unknown(path)
    return node, last


def _array(doc: dict, path: str, *, create: bool = True) -> list:
    """The array at `path`; a missing one is created (for $push, $addToSet) or is an empty one left
    unwritten (for $pull, $pop, which do not create the field)."""
    parent, key = _parent(doc, path, create=create)
    if isinstance(parent, dict) and key not in parent:
        if not create:
            return []
        parent[key] = []
    if not isinstance(parent[key], list):
        raise Unknown(path)
    return parent[key]


def _matches(element: Any, condition: Any) -> bool:
    """$pull's condition: a value, or {field: value | {"$in": [...]}} on subdocuments."""
    if not isinstance(condition, dict):
        return element == condition
    if not isinstance(element, dict):
        return False
    for field, wanted in condition.items():
        if field.startswith("$") or "." in field:
            raise Unknown(field)
        if isinstance(wanted, dict):
            if set(wanted) != {"$in"}:
                raise Unknown(str(wanted))
            if element.get(field) not in wanted["$in"]:
                return False
        elif element.get(field) != wanted:
            return False
    return True


def _each(value: Any) -> None:
    if isinstance(value, dict) and any(key.startswith("$") for key in value):
        raise Unknown(str(value))


def apply(doc: dict, update: dict[str, dict[str, Any]]) -> dict:
    """`doc` (changed in place and returned) after `update`; raises Unknown for what it does not compute.
    Both come normalised (see `normalised`), so comparisons are the database's for the values used here."""
    for operator, fields in update.items():
        for path, value in fields.items():
            if operator == "$set":
                parent, key = _parent(doc, path, create=True)
                parent[key] = value
            elif operator == "$unset":
                parent, key = _parent(doc, path, create=False)
                if isinstance(parent, list):
                    raise Unknown(path)
                parent.pop(key, None)
            elif operator == "$inc":
                parent, key = _parent(doc, path, create=True)
                parent[key] = (parent[key] if isinstance(parent, list) else parent.get(key, 0)) + value
            elif operator == "$push":
                _each(value)
                _array(doc, path).append(value)
            elif operator == "$addToSet":
                _each(value)
                if isinstance(value, dict):     # subdocument equality depends on field order: leave it to the database
                    raise Unknown(path)
                array = _array(doc, path)
                if value not in array:
                    array.append(value)
            elif operator == "$pop":
                array = _array(doc, path, create=False)
                if array:
                    array.pop(-1 if value == 1 else 0)
            elif operator == "$pull":
                array = _array(doc, path, create=False)
                array[:] = [element for element in array if not _matches(element, value)]
            else:
                raise Unknown(operator)
    return doc
